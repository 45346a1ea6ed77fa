// Bad peers and bad bytes around mTLS. Each is refused with a reason that says what was wrong, and the
// proxies keep serving everyone else. (A CSR signed with another key and a token for another service
// account are refused by the identity service itself: test/integration/identity-service.test.ts.)
import * as net from 'node:net';
import * as tls from 'node:tls';
import t, { type Test } from 'tap';
import { createIssuer, createTrustAnchor, loadAuthority } from '../../certs';
import { formatHostPort, HostPort } from '../../common/address';
import { identityName, METRIC, PROXY_ERROR } from '../../common/contract';
import { INBOUND_ALPN } from '../../proxy/transport/tls-accept';
import { startEchoServer } from '../fixtures/http-backends';
import { send, waitFor } from '../fixtures/http-client';
import { leafFor, startTestIdentityService, TestLeaf } from '../fixtures/identity';
import { metricValue, ProxyProcess, startProxy } from '../fixtures/proxy-process';

const DAY = 86_400_000;
const WEB_ID = identityName('web', 'test');
const ok = (authority: string) => ({ authority, path: '/still-serving' });

/** A TLS server that is not a weft proxy: it presents `leaf` and agrees to the ALPN protocols a proxy's inbound does, nothing more. */
async function startTlsServer(t: Test, leaf: TestLeaf): Promise<HostPort> {
  const server = tls.createServer({ key: leaf.keyPem, cert: leaf.chainPem, ALPNProtocols: INBOUND_ALPN }, (s) => s.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
}

/** Connects to `to` with mTLS as a client would, and reports how the connection ended. */
function tlsClient(to: HostPort, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: to.host, port: to.port, ALPNProtocols: ['h2'], ...options });
    const timer = setTimeout(() => socket.destroy(), 5000);
    // In TLS 1.3 the client's certificate is judged after its handshake is done: send, then see it closed.
    socket.once('secureConnect', () => socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
    socket.on('data', () => {});
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code}`));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

t.test('mTLS refusals', async (t) => {
  const identity = await startTestIdentityService(t, { anchor: createTrustAnchor({ now: Date.now() - 3 * DAY }) });
  const foreign = await startTestIdentityService(t);
  const app = await startEchoServer(t);
  const [web, impostor] = await Promise.all([
    startProxy(t, { app: app.addr, identity: identity.proxyEnv('web') }),
    // Calls itself web, but its certificate comes from another mesh's CA.
    startProxy(t, { app: app.addr, identity: foreign.proxyEnv('web') }),
  ]);
  const oldIssuer = loadAuthority(createIssuer({ anchor: loadAuthority(identity.anchor), now: Date.now() - 3 * DAY }));
  const expiredLeaf = leafFor(oldIssuer, 'web', Date.now() - 2 * DAY, 3600_000);
  // A server with a valid certificate for web, addressed as db: a weft proxy would pass a ClientHello for
  // a name not its own through to its app, so this case needs a plain TLS server.
  const [expiredServer, webCertServer, plainServer] = await Promise.all([
    startTlsServer(t, expiredLeaf),
    startTlsServer(t, leafFor(identity.issuer, 'web')),
    startEchoServer(t),
  ]);
  const service = (authority: string, addr: HostPort, id = WEB_ID) => ({ authority, endpoints: [{ addr: formatHostPort(addr), identity: id }] });
  const client: ProxyProcess = await startProxy(t, {
    identity: identity.proxyEnv('client'),
    services: [
      service('web.test:80', web.inbound),
      service('wrong-identity.test:80', webCertServer, identityName('db', 'test')),
      service('other-ca.test:80', impostor.inbound),
      service('expired.test:80', expiredServer),
      service('plaintext.test:80', plainServer.addr),
    ],
  });

  const refusedWith = async (t: Test, authority: string, reason: RegExp) => {
    const reply = await send(client.outbound, { authority, path: '/' });
    t.equal(reply.status, 502, reply.body.toString());
    t.equal(reply.headers[PROXY_ERROR], 'upstream-tls-error');
    t.match(reply.body.toString(), reason);
    t.equal((await send(client.outbound, ok('web.test:80'))).status, 200, 'the proxy still serves the good peer');
  };

  t.test('a peer with a valid certificate for another identity', (t) =>
    refusedWith(t, 'wrong-identity.test:80', new RegExp(`the peer proved identity ${WEB_ID}, not ${identityName('db', 'test')}`)));
  t.test('a peer whose certificate comes from another CA', (t) => refusedWith(t, 'other-ca.test:80', /mTLS to .* failed: .*(issuer|verify|self.signed).*\((UNABLE_TO|SELF_SIGNED)/i));
  t.test('a peer with an expired certificate', (t) => refusedWith(t, 'expired.test:80', /certificate has expired \(CERT_HAS_EXPIRED\)/));
  t.test('a peer that does not speak TLS at all', (t) => refusedWith(t, 'plaintext.test:80', /the endpoint did not answer in TLS .*is it a weft proxy with identity/));

  t.test('inbound: clients without a certificate from our anchors are refused', async (t) => {
    const foreignLeaf = leafFor(foreign.issuer, 'client');
    const expiredClient = leafFor(oldIssuer, 'client', Date.now() - 2 * DAY, 3600_000);
    const asWeb = { servername: WEB_ID, ca: identity.anchor.certPem };
    t.equal(await tlsClient(web.inbound, { ...asWeb, key: foreignLeaf.keyPem, cert: foreignLeaf.chainPem }), 'closed', 'another CA: closed');
    t.equal(await tlsClient(web.inbound, { ...asWeb, key: expiredClient.keyPem, cert: expiredClient.chainPem }), 'closed', 'expired: closed');
    t.equal(await tlsClient(web.inbound, asWeb), 'closed', 'no certificate: closed');
    await waitFor('three refusals in the log', () => (web.logs().match(/inbound mTLS handshake refused/g) ?? []).length >= 3);
    t.match(web.logs(), /CERT_HAS_EXPIRED/);
    t.match(web.logs(), /does not verify against the trust anchors \((UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/);
    t.equal(metricValue(await web.metrics(), METRIC.tcpCloseTotal, { direction: 'inbound', peer: 'src', classification: 'failure', errno: 'CERT_HAS_EXPIRED' }), 1);
    t.equal((await send(client.outbound, ok('web.test:80'))).status, 200, 'the proxy still serves meshed peers');
  });

  t.test('inbound: a garbage ClientHello is refused and logged', async (t) => {
    const garbage = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x30, 0x01, 0xff, 0xff, 0xff]), Buffer.alloc(0x2c, 0xee)]);
    const closed = await new Promise<boolean>((resolve) => {
      const socket = net.connect(web.inbound.port, web.inbound.host, () => socket.write(garbage));
      const timer = setTimeout(() => resolve(false), 5000);
      socket.on('data', () => {}).on('error', () => {});
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    t.ok(closed, 'the proxy closed the connection');
    await waitFor('the refusal in the log', () => web.logs().includes('malformed TLS ClientHello'));
    t.equal(metricValue(await web.metrics(), METRIC.tcpCloseTotal, { direction: 'inbound', errno: 'malformed_client_hello' }), 1);
    t.equal((await send(client.outbound, ok('web.test:80'))).status, 200, 'the proxy still serves meshed peers');
    t.equal((await send(web.inbound, ok('web.test:80'))).status, 200, 'and plaintext callers');
  });

  t.test('inbound: TLS for another name is passed through to the app untouched', async (t) => {
    const outcome = await tlsClient(web.inbound, { servername: 'someone-else.example', rejectUnauthorized: false });
    t.match(outcome, /error|closed/, 'the plain HTTP app cannot speak TLS, so the client fails: the proxy did not answer for it');
    await waitFor('the passthrough connection counted', async () =>
      metricValue(await web.metrics(), METRIC.tcpOpenTotal, { direction: 'inbound', peer: 'src', no_tls_reason: 'passthru' }) >= 1,
    );
    t.pass('labelled tls="no_identity" no_tls_reason="passthru"');
  });
});
