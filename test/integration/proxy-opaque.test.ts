// Opaque TCP through real proxies:
//   CONNECT → proxy A outbound → proxy B inbound (the app's port is opaque) → a TCP server
// with half-close in both directions and back-pressure that keeps the proxies' memory flat; a server that
// speaks first on an opaque port; a client-first protocol that detection cannot name; and the errors CONNECT
// gets from the proxy itself.
import * as net from 'node:net';
import t from 'tap';
import { formatHostPort } from '../../common/address';
import { ENV, PROXY_ERROR } from '../../common/contract';
import { closedPort, processResources } from '../fixtures/http-client';
import { startProxy, type ProxyProcess } from '../fixtures/proxy-process';
import { BANNER, connect, openTunnel, readToEnd, readUntil, startTcpBackend, TcpBackend } from '../fixtures/tcp-backend';

const AUTHORITY = 'tcp.test.svc.cluster.local:7000';
const REFUSING_AUTHORITY = 'refusing.test.svc.cluster.local:7000';
const BULK_BYTES = 200 * 1024 * 1024;
const BULK_CHUNK = 64 * 1024;
const RSS_BUDGET_BYTES = 64 * 1024 * 1024;
const SLOW_PAUSE_MS = 2000;
/** Long enough that anything that waited for detection would visibly miss its deadline. */
const DETECT_TIMEOUT = '10s';
const PROMPT_MS = 2000;

let backend: TcpBackend;
let a: ProxyProcess;
let b: ProxyProcess;
/** Inbound with protocol detection left on for the backend's port. */
let detecting: ProxyProcess;

t.before(async () => {
  backend = await startTcpBackend(t, SLOW_PAUSE_MS);
  const env = { [ENV.detectProtocolTimeout]: DETECT_TIMEOUT };
  [b, detecting] = await Promise.all([
    startProxy(t, { app: backend.addr, env: { ...env, [ENV.inboundOpaquePorts]: String(backend.addr.port) } }),
    startProxy(t, { app: backend.addr, env }),
  ]);
  a = await startProxy(t, {
    env,
    services: [
      { authority: AUTHORITY, endpoints: [{ addr: formatHostPort(b.inbound), protocol: 'h2' }] },
      { authority: REFUSING_AUTHORITY, endpoints: [{ addr: `127.0.0.1:${await closedPort()}` }] },
    ],
  });
});

/** A tunnel to the backend through A and B, past the banner, with `mode` chosen. */
async function tunnelTo(mode: string): Promise<net.Socket> {
  const tunnel = await openTunnel(a.outbound, AUTHORITY, t);
  if (tunnel.status !== 200) throw new Error(`CONNECT answered ${tunnel.head}`);
  const { received } = await readUntil(tunnel.socket, (r) => r.length >= BANNER.length);
  if (received.toString('latin1') !== BANNER) throw new Error(`expected the banner, got ${JSON.stringify(received.toString('latin1'))}`);
  tunnel.socket.write(`${mode}\n`);
  return tunnel.socket;
}

function rssBytes(proxy: ProxyProcess): number {
  return processResources(proxy.child.pid!).rssKiB * 1024;
}

t.test('CONNECT tunnel: bytes flow both ways', async (t) => {
  const socket = await tunnelTo('echo');
  const message = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
  socket.write(message);
  const { received } = await readUntil(socket, (r) => r.length >= message.length);
  t.same(received, message, 'echoed byte for byte');
  socket.end();
  t.equal((await readToEnd(socket)).ended, true, 'the end travels through too');
});

t.test('half-close: the client ends its side and still receives the reply', async (t) => {
  const socket = await tunnelTo('count');
  socket.end('hello, world');
  const { text, ended } = await readToEnd(socket);
  t.equal(text, '12\n', 'the server saw the end, counted, and its answer came back');
  t.ok(ended);
});

t.test('half-close: the server ends its side; the client sees the end and can still send', async (t) => {
  const socket = await tunnelTo('hangup');
  const { received, ended } = await readUntil(socket, () => false);
  t.equal(received.toString(), 'bye\n');
  t.ok(ended, 'the client saw the server end');
  const before = backend.receivedAfterHangup.length;
  socket.end('still here');
  const deadline = Date.now() + 5000;
  while (backend.receivedAfterHangup.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(backend.receivedAfterHangup[before], 'still here', 'the server received what the client sent after it');
});

t.test('back-pressure: a paused reader slows the writer; proxy memory stays flat', async (t) => {
  const socket = await tunnelTo('slow');
  const baseline = { a: rssBytes(a), b: rssBytes(b) };
  const peak = { ...baseline };
  const sampler = setInterval(() => {
    peak.a = Math.max(peak.a, rssBytes(a));
    peak.b = Math.max(peak.b, rssBytes(b));
  }, 50);
  t.teardown(() => clearInterval(sampler));

  let written = 0;
  let writtenDuringPause = -1;
  const pauseOver = setTimeout(() => (writtenDuringPause = written), SLOW_PAUSE_MS - 200);
  t.teardown(() => clearTimeout(pauseOver));
  const chunk = Buffer.alloc(BULK_CHUNK, 0x61);
  const writer = (async () => {
    while (written < BULK_BYTES) {
      written += chunk.length;
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
    }
    socket.end();
  })();
  const { text, ended } = await readToEnd(socket, 60_000);
  await writer;
  clearInterval(sampler);
  t.equal(text, `${BULK_BYTES}\n`, 'every byte arrived');
  t.ok(ended);
  t.ok(writtenDuringPause >= 0 && writtenDuringPause < RSS_BUDGET_BYTES, `the writer was held back while the reader paused (${writtenDuringPause} bytes written)`);
  t.ok(peak.a - baseline.a < RSS_BUDGET_BYTES, `proxy A RSS grew by ${((peak.a - baseline.a) / 1048576).toFixed(1)} MiB`);
  t.ok(peak.b - baseline.b < RSS_BUDGET_BYTES, `proxy B RSS grew by ${((peak.b - baseline.b) / 1048576).toFixed(1)} MiB`);
});

t.test('a server that speaks first on an opaque inbound port is heard at once', async (t) => {
  const socket = await connect(b.inbound, t);
  const started = Date.now();
  const { received } = await readUntil(socket, (r) => r.length >= BANNER.length, PROMPT_MS);
  t.equal(received.toString(), BANNER);
  t.ok(Date.now() - started < PROMPT_MS, 'without waiting for protocol detection');
});

t.test('a client-first protocol detection cannot name is forwarded at once on a detecting port', async (t) => {
  const socket = await connect(detecting.inbound, t);
  const started = Date.now();
  // Not HTTP: lower-case first bytes. Detection must call it opaque immediately, not after its 10 s timeout.
  socket.write('echo\n');
  const { received } = await readUntil(socket, (r) => r.length >= BANNER.length, PROMPT_MS);
  t.equal(received.toString(), BANNER, 'the server answered');
  t.ok(Date.now() - started < PROMPT_MS, 'without waiting for the detect timeout');
  const binary = Buffer.from([0x00, 0x01, 0x62, 0x69, 0x6e, 0xff]);
  socket.write(binary);
  const echoed = await readUntil(socket, (r) => r.length >= binary.length, PROMPT_MS);
  t.same(echoed.received, binary, 'and echoed binary bytes');
});

t.test('a client that sends a few bytes and half-closes before detection decides is still forwarded', async (t) => {
  // Upper-case letters could still become an HTTP method, so detection is waiting for more when the end comes.
  const socket = await connect(detecting.inbound, t);
  socket.end('HELLO');
  const { text, ended } = await readToEnd(socket);
  t.equal(text, `${BANNER}partial:HELLO\n`, 'the server got the bytes and the end, and answered');
  t.ok(ended);
});

t.test('CONNECT to an unknown authority: 503 from the proxy', async (t) => {
  const { status, head } = await openTunnel(a.outbound, 'nobody.test.svc.cluster.local:7000', t);
  t.equal(status, 503);
  t.match(head, new RegExp(`\r\n${PROXY_ERROR}: unknown-authority\r\n`, 'i'));
});

t.test('CONNECT to an endpoint that refuses: 502 from the proxy', async (t) => {
  const { status, head } = await openTunnel(a.outbound, REFUSING_AUTHORITY, t);
  t.equal(status, 502);
  t.match(head, new RegExp(`\r\n${PROXY_ERROR}: connect-failed\r\n`, 'i'));
});
