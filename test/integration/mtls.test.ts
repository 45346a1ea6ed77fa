// mTLS between two weft proxies, each with a certificate from a real identity service for its service
// account: requests are verified on both sides, labelled with the peer's identity, and a relay between the
// proxies records every byte to show that nothing crosses in plaintext.
import * as net from 'node:net';
import t from 'tap';
import { formatHostPort, HostPort } from '../../common/address';
import { identityName, METRIC, ORIG_PROTO } from '../../common/contract';
import { startEchoServer } from '../fixtures/http-backends';
import { send, waitFor } from '../fixtures/http-client';
import { startTestIdentityService } from '../fixtures/identity';
import { metricValue, startProxy } from '../fixtures/proxy-process';
import { startRecordingRelay } from '../fixtures/tcp-relay';

const WEB = 'web.test:8080';
const TCP = 'tcp.test:7000';
const WEB_ID = identityName('web', 'test');
const TCP_ID = identityName('tcp', 'test');
const CLIENT_ID = identityName('client', 'test');
const MARKER = 'plaintext-marker-7f3a';

/** A TCP server that answers every chunk with `echo:` + the chunk. */
async function startTcpEcho(t: { teardown(fn: () => unknown): void }): Promise<HostPort> {
  const server = net.createServer((s) => s.on('data', (d: Buffer) => s.write(Buffer.concat([Buffer.from('echo:'), d]))).on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
}

/** CONNECT through the outbound port, then one exchange of bytes over the tunnel. */
function connectAndEcho(outbound: HostPort, authority: string, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(outbound.port, outbound.host);
    let received = '';
    let tunnelled = false;
    const timer = setTimeout(() => socket.destroy(new Error(`no echo within 10s; got ${JSON.stringify(received)}`)), 10_000);
    socket.setEncoding('latin1');
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (d: string) => {
      received += d;
      if (!tunnelled && received.includes('\r\n\r\n')) {
        if (!received.startsWith('HTTP/1.1 200')) return socket.destroy(new Error(`CONNECT refused: ${received}`));
        tunnelled = true;
        received = '';
        socket.write(payload);
      } else if (tunnelled && received.length >= payload.length + 5) {
        clearTimeout(timer);
        socket.end();
        resolve(received);
      }
    });
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`);
  });
}

t.test('two proxies with identities speak mTLS to each other', async (t) => {
  const identity = await startTestIdentityService(t);
  const [app, tcpApp] = await Promise.all([startEchoServer(t), startTcpEcho(t)]);
  const [web, tcp] = await Promise.all([
    startProxy(t, { app: app.addr, identity: identity.proxyEnv('web') }),
    startProxy(t, { app: tcpApp, identity: identity.proxyEnv('tcp') }),
  ]);
  const [webWire, tcpWire] = await Promise.all([startRecordingRelay(t, web.inbound), startRecordingRelay(t, tcp.inbound)]);
  const client = await startProxy(t, {
    identity: identity.proxyEnv('client'),
    services: [
      { authority: WEB, endpoints: [{ addr: formatHostPort(webWire.addr), identity: WEB_ID }] },
      { authority: TCP, endpoints: [{ addr: formatHostPort(tcpWire.addr), identity: TCP_ID, labels: { namespace: 'test', deployment: 'tcp-echo', pod: 'tcp-echo-0' } }] },
    ],
  });

  t.test('HTTP/1.1 crosses as h2 over mTLS, verified both ways', async (t) => {
    const reply = await send(client.outbound, { authority: WEB, path: `/${MARKER}`, headers: { 'x-marker': MARKER, 'weft-from-mesh': 'kept' } });
    t.equal(reply.status, 200, reply.body.toString());
    const seen = app.seen[app.seen.length - 1];
    t.equal(seen.url, `/${MARKER}`);
    t.equal(seen.headers['weft-from-mesh'], 'kept', 'weft-* headers from a verified peer reach the app');
    t.equal(seen.headers[ORIG_PROTO], undefined, `${ORIG_PROTO} stays between the proxies`);
    const outboundResponse = { direction: 'outbound', tls: 'true', server_id: WEB_ID, status_code: '200' };
    // The proxy counts the response as it finishes it, which may be a moment after the client has it all.
    await waitFor('the outbound response metric', async () => metricValue(await client.metrics(), METRIC.responseTotal, outboundResponse) === 1);
    t.pass('outbound: tls="true" server_id=web');
    const clientMetrics = await client.metrics();
    t.equal(metricValue(clientMetrics, METRIC.tcpOpenTotal, { direction: 'outbound', peer: 'dst', tls: 'true', server_id: WEB_ID }), 1, 'one mTLS connection to web');
    const webMetrics = await web.metrics();
    t.equal(metricValue(webMetrics, METRIC.requestTotal, { direction: 'inbound', tls: 'true', client_id: CLIENT_ID }), 1, 'inbound: tls="true" client_id=client');
    t.equal(metricValue(webMetrics, METRIC.tcpOpenTotal, { direction: 'inbound', peer: 'src', tls: 'true', client_id: CLIENT_ID }), 1);
  });

  t.test('opaque TCP crosses with ALPN transport.weft.io/v1 and reaches the port it was meant for', async (t) => {
    const echoed = await connectAndEcho(client.outbound, TCP, MARKER);
    t.equal(echoed, `echo:${MARKER}`);
    t.equal(metricValue(await tcp.metrics(), METRIC.tcpOpenTotal, { direction: 'inbound', peer: 'src', tls: 'true', client_id: CLIENT_ID }), 1);
    const toTcp = { direction: 'outbound', peer: 'dst', server_id: TCP_ID, dst_namespace: 'test', dst_deployment: 'tcp-echo', dst_pod: 'tcp-echo-0' };
    t.equal(metricValue(await client.metrics(), METRIC.tcpOpenTotal, toTcp), 1, 'the opaque connection carries what discovery said of its endpoint as dst_* labels');
  });

  t.test('the wire between the proxies carries TLS records only, no plaintext', async (t) => {
    for (const [name, wire] of [
      ['web', webWire],
      ['tcp', tcpWire],
    ] as const) {
      const { toTarget, fromTarget } = wire.recorded();
      t.ok(toTarget.length > 0 && fromTarget.length > 0, `${name}: bytes crossed both ways`);
      t.equal(toTarget[0], 0x16, `${name}: the client's first byte opens a TLS handshake record`);
      for (const bytes of [toTarget, fromTarget]) {
        const text = bytes.toString('latin1');
        for (const plaintext of [MARKER, 'HTTP/1.1', 'PRI * HTTP/2.0', 'echo:', WEB]) t.notOk(text.includes(plaintext), `${name}: no "${plaintext}" on the wire`);
      }
      // Every record after the handshake is application data (type 23), as TLS 1.3 encrypts the rest.
      t.same(recordTypes(toTarget).filter((type) => type !== 0x16 && type !== 0x14 && type !== 0x17), [], `${name}: only TLS record types`);
    }
  });

  t.test('plaintext from outside the mesh still works, labelled no_identity, without weft-* headers', async (t) => {
    const reply = await send(web.inbound, { authority: WEB, path: '/outside', headers: { 'weft-forged': 'x' } });
    t.equal(reply.status, 200);
    t.equal(app.seen[app.seen.length - 1].headers['weft-forged'], undefined, 'weft-* dropped from a caller without identity');
    const metrics = await web.metrics();
    t.equal(metricValue(metrics, METRIC.requestTotal, { direction: 'inbound', tls: 'no_identity', no_tls_reason: 'no_tls_from_remote' }), 1);
  });

  t.test('each proxy reports its certificate', async (t) => {
    for (const proxy of [client, web, tcp]) {
      const metrics = await proxy.metrics();
      const expires = metricValue(metrics, METRIC.identityCertExpiration);
      t.ok(expires * 1000 > Date.now() + 23 * 3600_000, `expires in about 24 h (${new Date(expires * 1000).toISOString()})`);
      t.equal(metricValue(metrics, METRIC.identityCertRefreshTotal, { result: 'success' }), 1);
      const ready = await fetch(`http://${formatHostPort(proxy.admin)}/ready`);
      t.equal(ready.status, 200);
    }
  });
});

/** The content type of each TLS record in a byte stream. */
function recordTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let i = 0; i + 5 <= bytes.length; i += 5 + bytes.readUInt16BE(i + 3)) types.push(bytes[i]);
  return types;
}
