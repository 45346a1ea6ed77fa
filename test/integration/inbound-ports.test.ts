// Inbound never connects to one of the proxy's own ports on a client's behalf, and with
// WEFT_PROXY_INBOUND_PORTS only to the ports listed there. The port can come from a peer's transport header
// (mTLS, ALPN transport.weft.io/v1, driven by hand here with a mesh client certificate) or from the original
// destination; without iptables, WEFT_PROXY_INBOUND_APP_ADDR pointed at the proxy's own port stands in for
// the latter (the same code path: a peer that dials pod:4143 makes the original destination inbound itself).
import * as grpc from '@grpc/grpc-js';
import * as tls from 'node:tls';
import t, { type Test } from 'tap';
import { formatHostPort } from '../../common/address';
import { ENV, identityName, INBOUND_METRIC, METRIC, OPAQUE_TRANSPORT_ALPN, PROXY_ERROR } from '../../common/contract';
import { encodeTransportHeader } from '../../proxy/transport/transport-header';
import { createEchoClient } from '../fixtures/grpc-echo';
import { h2Connect, h2Request } from '../fixtures/h2-backend';
import { startEchoServer } from '../fixtures/http-backends';
import { closedPort, rawExchange, RawExchange, send, waitFor } from '../fixtures/http-client';
import { leafFor, startTestIdentityService, TestLeaf } from '../fixtures/identity';
import { metricValue, ProxyProcess, serviceAt, startProxy } from '../fixtures/proxy-process';
import { BANNER, startTcpBackend } from '../fixtures/tcp-backend';

const WEB_ID = identityName('web', 'test');
const DB_ID = identityName('db', 'test');
const CLIENT_ID = identityName('client', 'test');
const VICTIM = 'victim.test:80';
const EXCHANGE_MS = 10_000;

/**
 * As a peer proxy would: mTLS to `proxy`'s inbound with ALPN transport.weft.io/v1, the transport header naming
 * `port`, then `payload`. Collects what comes back until `done` holds, the proxy closes, or EXCHANGE_MS passes.
 */
function viaTransportHeader(proxy: ProxyProcess, serverName: string, client: TestLeaf, ca: string, port: number, payload: string, done = (_text: string) => false): Promise<RawExchange & { alpn: string | false }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: proxy.inbound.host,
      port: proxy.inbound.port,
      servername: serverName,
      ca,
      key: client.keyPem,
      cert: client.chainPem,
      ALPNProtocols: [OPAQUE_TRANSPORT_ALPN],
    });
    let text = '';
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, alpn: socket.alpnProtocol ?? false });
    };
    const timer = setTimeout(() => finish(false), EXCHANGE_MS);
    socket.once('secureConnect', () => socket.write(Buffer.concat([encodeTransportHeader(port), Buffer.from(payload, 'latin1')])));
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      if (done(text)) finish(false);
    });
    socket.once('close', () => finish(true));
    socket.once('error', () => {}); // a reset still counts as closed
  });
}

const refusals = async (proxy: ProxyProcess, reason: string) => metricValue(await proxy.metrics(), INBOUND_METRIC.portRefusedTotal, { reason });

/** Waits for the warn line naming the port and reason (and, over mTLS, the client's identity). */
async function refusalLogged(proxy: ProxyProcess, port: number, reason: string, clientId?: string): Promise<void> {
  await waitFor(`the refusal of port ${port} in the log`, () =>
    proxy
      .logs()
      .split('\n')
      .some((line) => line.includes('inbound refused to forward') && line.includes('"level":40') && line.includes(`"port":${port},`) && line.includes(`"reason":"${reason}"`) && line.includes('"client":"127.0.0.1"') && (clientId === undefined || line.includes(`"clientId":"${clientId}"`))),
  );
}

/** The proxy process is still running and not draining: /ready is 503 once a shutdown has begun. */
async function aliveAndReady(t: Test, proxy: ProxyProcess): Promise<void> {
  t.equal(proxy.child.exitCode, null, 'the proxy has not exited');
  t.equal(proxy.child.signalCode, null);
  const ready = await fetch(`http://${formatHostPort(proxy.admin)}/ready`);
  t.equal(ready.status, 200, `/ready still 200 (not shutting down): ${await ready.text()}`);
}

t.test("a peer's transport header", async (t) => {
  const identity = await startTestIdentityService(t);
  const [app, otherApp, victim] = await Promise.all([startTcpBackend(t), startTcpBackend(t), startEchoServer(t)]);
  const [web, db] = await Promise.all([
    // No INBOUND_APP_ADDR: the header's port is where inbound connects.
    startProxy(t, { identity: identity.proxyEnv('web'), services: [serviceAt(VICTIM, victim.addr)] }),
    startProxy(t, { identity: identity.proxyEnv('db'), env: { [ENV.inboundPorts]: `${app.addr.port}` } }),
  ]);
  const client = leafFor(identity.issuer, 'client');
  const ca = identity.anchor.certPem;
  const toWeb = (port: number, payload: string, done?: (text: string) => boolean) => viaTransportHeader(web, WEB_ID, client, ca, port, payload, done);
  const toDb = (port: number, payload: string, done?: (text: string) => boolean) => viaTransportHeader(db, DB_ID, client, ca, port, payload, done);
  const echoed = (text: string) => text === `${BANNER}ping`;

  t.test('naming an app port reaches the app', async (t) => {
    const reply = await toWeb(app.addr.port, 'echo\nping', echoed);
    t.equal(reply.alpn, OPAQUE_TRANSPORT_ALPN, 'the proxy agreed to the transport protocol');
    t.equal(reply.text, `${BANNER}ping`);
  });

  t.test('naming the admin port: POST /shutdown never reaches admin, the proxy lives on', async (t) => {
    const reply = await toWeb(web.admin.port, 'POST /shutdown HTTP/1.1\r\nhost: localhost\r\ncontent-length: 0\r\n\r\n');
    t.same(reply, { text: '', closed: true, alpn: OPAQUE_TRANSPORT_ALPN }, 'closed without an answer (no 202)');
    await refusalLogged(web, web.admin.port, 'proxy_port', CLIENT_ID);
    t.equal(await refusals(web, 'proxy_port'), 1, `${INBOUND_METRIC.portRefusedTotal}{reason="proxy_port"} counted it`);
    t.match(web.logs(), /port \d+ is this proxy's own admin port/);
    await aliveAndReady(t, web);
  });

  t.test('naming the outbound port: the request does not leave with this proxy identity', async (t) => {
    const reply = await toWeb(web.outbound.port, `GET /laundered HTTP/1.1\r\nhost: ${VICTIM}\r\n\r\n`);
    t.same(reply, { text: '', closed: true, alpn: OPAQUE_TRANSPORT_ALPN });
    await refusalLogged(web, web.outbound.port, 'proxy_port', CLIENT_ID);
    t.same(victim.seen, [], 'the service behind outbound saw no request');
    const metrics = await web.metrics();
    t.equal(metricValue(metrics, METRIC.tcpOpenTotal, { direction: 'outbound', peer: 'src' }), 0, 'outbound accepted no connection');
    t.equal(metricValue(metrics, INBOUND_METRIC.portRefusedTotal, { reason: 'proxy_port' }), 2);
  });

  t.test('naming the inbound port itself: no loop', async (t) => {
    const reply = await toWeb(web.inbound.port, 'GET / HTTP/1.1\r\nhost: web.test\r\n\r\n');
    t.same(reply, { text: '', closed: true, alpn: OPAQUE_TRANSPORT_ALPN });
    await refusalLogged(web, web.inbound.port, 'proxy_port', CLIENT_ID);
    const plaintextToInbound = metricValue(await web.metrics(), METRIC.tcpOpenTotal, { direction: 'inbound', peer: 'src', no_tls_reason: 'no_tls_from_remote' });
    t.equal(plaintextToInbound, 0, 'inbound never connected to itself');
  });

  t.test('naming the tap port: refused', async (t) => {
    const tapPort = web.tap!.port;
    const reply = await toWeb(tapPort, 'echo\nping', echoed);
    t.same(reply, { text: '', closed: true, alpn: OPAQUE_TRANSPORT_ALPN }, 'the tap server was not reached');
    await refusalLogged(web, tapPort, 'proxy_port', CLIENT_ID);
    t.match(web.logs(), /is this proxy's own tap port/);
  });

  t.test('with WEFT_PROXY_INBOUND_PORTS: a listed port works, an unlisted one is refused', async (t) => {
    t.equal((await toDb(app.addr.port, 'echo\nping', echoed)).text, `${BANNER}ping`, 'the listed port');
    const reply = await toDb(otherApp.addr.port, 'echo\nping', echoed);
    t.same(reply, { text: '', closed: true, alpn: OPAQUE_TRANSPORT_ALPN }, 'an unlisted port, though something listens there');
    await refusalLogged(db, otherApp.addr.port, 'not_an_inbound_port', CLIENT_ID);
    t.equal(await refusals(db, 'not_an_inbound_port'), 1);
    t.match(db.logs(), new RegExp(`port ${otherApp.addr.port} is not one of the app's ports \\(${ENV.inboundPorts}\\)`));
    t.equal((await toDb(db.admin.port, 'GET /live HTTP/1.1\r\nhost: x\r\n\r\n')).text, '', 'and the proxy ports, unlisted too');
    await refusalLogged(db, db.admin.port, 'proxy_port', CLIENT_ID);
  });

  t.test('after every refusal both proxies still serve', async (t) => {
    t.equal((await toWeb(app.addr.port, 'echo\nping', echoed)).text, `${BANNER}ping`);
    await aliveAndReady(t, web);
    await aliveAndReady(t, db);
  });
});

t.test('an HTTP request, gRPC call or Upgrade for a forbidden port gets 403 forbidden-port', async (t) => {
  // Fixed ports, so that WEFT_PROXY_INBOUND_APP_ADDR can name the proxy's own admin or inbound port.
  const [adminPort, inboundPort] = await Promise.all([closedPort(), closedPort()]);
  const [app, other] = await Promise.all([startEchoServer(t), startEchoServer(t)]);
  const [toAdmin, toItself, unlisted, listed] = await Promise.all([
    startProxy(t, { app: { host: '127.0.0.1', port: adminPort }, env: { [ENV.adminListenAddr]: `127.0.0.1:${adminPort}` } }),
    startProxy(t, { app: { host: '127.0.0.1', port: inboundPort }, env: { [ENV.inboundListenAddr]: `127.0.0.1:${inboundPort}` } }),
    startProxy(t, { app: app.addr, env: { [ENV.inboundPorts]: `${other.addr.port}` } }),
    startProxy(t, { app: app.addr, env: { [ENV.inboundPorts]: `${other.addr.port},${app.addr.port}` } }),
  ]);

  t.test('HTTP/1 POST /shutdown for the admin port: 403, the proxy lives on', async (t) => {
    const reply = await send(toAdmin.inbound, { method: 'POST', path: '/shutdown', authority: 'web.test', body: '' });
    t.equal(reply.status, 403, reply.body.toString());
    t.equal(reply.headers[PROXY_ERROR], 'forbidden-port');
    t.match(reply.body.toString(), new RegExp(`inbound does not forward to 127\\.0\\.0\\.1:${adminPort}: port ${adminPort} is this proxy's own admin port`));
    await refusalLogged(toAdmin, adminPort, 'proxy_port');
    t.equal(await refusals(toAdmin, 'proxy_port'), 1);
    await aliveAndReady(t, toAdmin);
  });

  t.test('gRPC for the admin port: PERMISSION_DENIED', async (t) => {
    const stub = createEchoClient(formatHostPort(toAdmin.inbound));
    t.teardown(() => stub.close());
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      stub.Unary({ text: 'x' }, new grpc.Metadata(), { deadline: Date.now() + EXCHANGE_MS }, (err) => resolve(err)),
    );
    t.equal(error?.code, grpc.status.PERMISSION_DENIED, error?.details ?? 'no error');
    t.match(error?.details ?? '', /this proxy's own admin port/);
    t.same(error?.metadata.get(PROXY_ERROR), ['forbidden-port']);
  });

  t.test('Upgrade for the admin port: 403 on the raw connection', async (t) => {
    const reply = await rawExchange(toAdmin.inbound, 'GET /ws HTTP/1.1\r\nhost: web.test\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
    t.match(reply.text, /^HTTP\/1\.1 403 Forbidden\r\n/);
    t.match(reply.text, new RegExp(`\\r\\n${PROXY_ERROR}: forbidden-port\\r\\n`, 'i'));
    t.ok(reply.closed);
  });

  t.test('HTTP/1 and h2 for the inbound port itself: 403, no loop', async (t) => {
    const reply = await send(toItself.inbound, { path: '/loop', authority: 'web.test' });
    t.equal(reply.status, 403, reply.body.toString());
    t.equal(reply.headers[PROXY_ERROR], 'forbidden-port');
    await refusalLogged(toItself, inboundPort, 'proxy_port');
    const metrics = await toItself.metrics();
    t.equal(metricValue(metrics, METRIC.tcpOpenTotal, { direction: 'inbound', peer: 'src' }), 1, 'one connection: the client, none from the proxy to itself');
    t.equal(metricValue(metrics, METRIC.tcpOpenTotal, { direction: 'inbound', peer: 'dst' }), 0);
    const h2 = await h2Request(h2Connect(t, toItself.inbound), { ':method': 'GET', ':path': '/loop-h2', ':authority': 'web.test' });
    t.equal(h2.status, 403, h2.body.toString());
    t.equal(h2.headers[PROXY_ERROR], 'forbidden-port');
    t.equal(await refusals(toItself, 'proxy_port'), 2);
  });

  t.test('an app port WEFT_PROXY_INBOUND_PORTS does not list: 403; a listed one: 200', async (t) => {
    const reply = await send(unlisted.inbound, { path: '/unlisted', authority: 'web.test' });
    t.equal(reply.status, 403, reply.body.toString());
    t.equal(reply.headers[PROXY_ERROR], 'forbidden-port');
    t.same(app.seen, [], 'the app saw nothing');
    await refusalLogged(unlisted, app.addr.port, 'not_an_inbound_port');
    t.equal(await refusals(unlisted, 'not_an_inbound_port'), 1);
    const ok = await send(listed.inbound, { path: '/listed', authority: 'web.test' });
    t.equal(ok.status, 200, ok.body.toString());
    t.equal(app.seen[app.seen.length - 1]?.url, '/listed');
    t.equal(await refusals(listed, 'not_an_inbound_port'), 0);
  });
});
