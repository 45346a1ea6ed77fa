// Graceful shutdown of a real proxy process: on SIGTERM or `POST /shutdown` it stops accepting at once, lets
// requests in flight finish within WEFT_PROXY_SHUTDOWN_GRACE_PERIOD (h2 clients get GOAWAY), cuts whatever is
// left when the grace period ends, and exits 0.
import * as http from 'node:http';
import type * as http2 from 'node:http2';
import * as net from 'node:net';
import t, { type Test } from 'tap';
import { formatHostPort, HostPort } from '../../common/address';
import { ENV } from '../../common/contract';
import { h2Connect, h2Request, startH2Backend } from '../fixtures/h2-backend';
import { startEchoServer } from '../fixtures/http-backends';
import { startProxy, type ProxyProcess } from '../fixtures/proxy-process';

const AUTHORITY = 'slow.test.svc.cluster.local:8080';
const SLOW_MS = 1500;
const REFUSED_WITHIN_MS = 1000;
const EXIT_WITHIN_MS = 15_000;

interface Slow {
  addr: HostPort;
  /** Resolves when the server has a request and is sitting on it. */
  received: Promise<void>;
}

/** An HTTP/1 server that answers 200 `slow done` `delayMs` after each request arrives. */
async function startSlowHttp1(t: Test, delayMs: number): Promise<Slow> {
  let onReceived!: () => void;
  const received = new Promise<void>((resolve) => (onReceived = resolve));
  const timers = new Set<NodeJS.Timeout>();
  t.teardown(() => timers.forEach(clearTimeout));
  const server = await startEchoServer(t, (_req, res) => {
    onReceived();
    timers.add(setTimeout(() => res.end('slow done'), delayMs));
    return true;
  });
  return { addr: server.addr, received };
}

async function startSlowH2(t: Test, delayMs: number): Promise<Slow> {
  let onReceived!: () => void;
  const received = new Promise<void>((resolve) => (onReceived = resolve));
  const timers = new Set<NodeJS.Timeout>();
  t.teardown(() => timers.forEach(clearTimeout));
  const server = await startH2Backend(t, (stream) => {
    onReceived();
    timers.add(
      setTimeout(() => {
        if (stream.destroyed) return;
        stream.respond({ ':status': 200 });
        stream.end('slow done');
      }, delayMs),
    );
    return true;
  });
  return { addr: server.addr, received };
}

function proxyTo(t: Test, backend: HostPort, gracePeriod: string): Promise<ProxyProcess> {
  return startProxy(t, {
    services: [{ authority: AUTHORITY, endpoints: [{ addr: formatHostPort(backend) }] }],
    env: { [ENV.shutdownGracePeriod]: gracePeriod },
  });
}

interface Outcome {
  status?: number;
  body?: string;
  error?: string;
}

function http1Get(proxy: HostPort): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host: proxy.host, port: proxy.port, path: '/slow', headers: { host: AUTHORITY }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (err) => resolve({ status: res.statusCode, error: err.message }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
  });
}

/** `promise`, or a rejection naming `what` after `ms`: a proxy that never drains fails the test, not tap. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The proxy's exit code, bounded in time. */
function exitOf(proxy: ProxyProcess): Promise<number | null> {
  if (proxy.child.exitCode !== null) return Promise.resolve(proxy.child.exitCode);
  return within(new Promise((resolve) => proxy.child.once('exit', (code) => resolve(code))), EXIT_WITHIN_MS, 'the proxy exit');
}

/** Whether a new connection to `addr` is refused within `withinMs` (each accepted try is closed at once). */
async function refusedWithin(addr: HostPort, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(addr.port, addr.host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
    if (refused) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

t.test('SIGTERM: stops accepting, finishes the request in flight, exits 0', async (t) => {
  const backend = await startSlowHttp1(t, SLOW_MS);
  const proxy = await proxyTo(t, backend.addr, '10s');
  const response = http1Get(proxy.outbound);
  await backend.received;
  const exited = exitOf(proxy);
  const signalledAt = Date.now();
  proxy.child.kill('SIGTERM');
  t.ok(await refusedWithin(proxy.outbound, REFUSED_WITHIN_MS), 'new connections are refused soon after the signal');
  t.same(await response, { status: 200, body: 'slow done' }, 'the request in flight completed');
  t.equal(await exited, 0, 'exit code 0');
  t.ok(Date.now() - signalledAt < 5000, 'exited once the work was done, not at the end of the 10 s grace period');
});

t.test('SIGTERM: a request longer than the grace period is cut when it ends, exit 0', async (t) => {
  const backend = await startSlowHttp1(t, 10_000);
  const proxy = await proxyTo(t, backend.addr, '2s');
  const response = http1Get(proxy.outbound);
  await backend.received;
  const exited = exitOf(proxy);
  const signalledAt = Date.now();
  proxy.child.kill('SIGTERM');
  const outcome = await response;
  const cutAfter = Date.now() - signalledAt;
  t.ok(outcome.error !== undefined && outcome.status === undefined, `the client saw the request cut (${JSON.stringify(outcome)})`);
  t.ok(cutAfter >= 1800 && cutAfter < 5000, `cut when the 2 s grace period ended (after ${cutAfter} ms)`);
  t.equal(await exited, 0, 'exit code 0');
  t.match(proxy.logs(), /grace period over/, 'the proxy said why it cut the connection');
});

t.test('SIGTERM: an h2 client gets GOAWAY and its stream in flight completes', async (t) => {
  const backend = await startSlowH2(t, SLOW_MS);
  const proxy = await proxyTo(t, backend.addr, '10s');
  const session = h2Connect(t, proxy.outbound);
  const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
  const response = h2Request(session, { ':method': 'GET', ':path': '/slow', ':authority': AUTHORITY } satisfies http2.OutgoingHttpHeaders);
  await backend.received;
  const exited = exitOf(proxy);
  proxy.child.kill('SIGTERM');
  t.equal(await within(goaway, SLOW_MS, 'GOAWAY'), 0, 'GOAWAY with NO_ERROR arrived while the stream was open');
  const res = await response;
  t.equal(res.status, 200);
  t.equal(res.body.toString(), 'slow done', 'the stream completed after GOAWAY');
  t.equal(await exited, 0, 'exit code 0');
});

t.test('POST /shutdown from loopback: 202, then the same graceful exit', async (t) => {
  const backend = await startSlowHttp1(t, SLOW_MS);
  const proxy = await proxyTo(t, backend.addr, '10s');
  const response = http1Get(proxy.outbound);
  await backend.received;
  const exited = exitOf(proxy);
  const res = await fetch(`http://${formatHostPort(proxy.admin)}/shutdown`, { method: 'POST' });
  t.equal(res.status, 202);
  await res.text();
  t.ok(await refusedWithin(proxy.outbound, REFUSED_WITHIN_MS), 'new connections are refused soon after');
  t.same(await response, { status: 200, body: 'slow done' }, 'the request in flight completed');
  t.equal(await exited, 0, 'exit code 0');
});
