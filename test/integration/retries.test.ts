// Retries and timeouts against real backends through a real weft-proxy: a flaky backend's 5xx hidden, only
// idempotent methods unless configured, no retry of a body over 64 KiB, retries held to the budget when nearly
// everything fails, the request and per-try timeouts, and gRPC: retried statuses and grpc-timeout honoured.
import * as http from 'node:http';
import t from 'tap';
import { formatHostPort } from '../../common/address';
import { METRIC, PROXY_ERROR } from '../../common/contract';
import { h2Connect, h2Request, startH2Backend } from '../fixtures/h2-backend';
import { startEchoServer } from '../fixtures/http-backends';
import { send } from '../fixtures/http-client';
import { metricValue, ProxyProcess, ServiceSpec, startProxy } from '../fixtures/proxy-process';

const AUTHORITY = 'api.retry.test:8080';

/** A backend that answers 503 when `fails(n)` says so for its n-th request (from 0), else 200 after `delayMs`. */
async function backend(t: Parameters<typeof startEchoServer>[0], fails: (n: number, req: http.IncomingMessage) => boolean, delayMs = 0) {
  let n = 0;
  return startEchoServer(t, (req, res) => {
    const status = fails(n++, req) ? 503 : 200;
    setTimeout(() => {
      res.writeHead(status, { 'content-length': 2 });
      res.end(status === 200 ? 'ok' : 'no');
    }, delayMs);
    return true;
  });
}

function service(backends: { addr: { host: string; port: number } }[], extra: Partial<ServiceSpec> = {}, authority = AUTHORITY): ServiceSpec {
  return { authority, endpoints: backends.map((b) => ({ addr: formatHostPort(b.addr) })), ...extra };
}

async function statuses(proxy: ProxyProcess, count: number, options: Parameters<typeof send>[1] = {}, concurrency = 1): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const out: number[] = [];
  let started = 0;
  const worker = async () => {
    while (started++ < count) out.push((await send(proxy.outbound, { authority: AUTHORITY, agent, ...options })).status);
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return out;
}

t.test("a flaky backend's 5xx are hidden by retries; POST only when the service allows it", async (t) => {
  const steady = await backend(t, () => false);
  const flaky = await backend(t, (n) => n % 2 === 0);
  const retry = { http: '5xx', limit: 3 };
  const proxy = await startProxy(t, {
    services: [service([steady, flaky], { retry }), service([steady, flaky], { retry: { ...retry, methods: 'all' } }, 'post.retry.test:8080')],
  });
  const got = await statuses(proxy, 60, {}, 3);
  t.same(new Set(got), new Set([200]), 'every GET answered 200');
  t.ok(flaky.seen.length >= 4, `the flaky backend took part (${flaky.seen.length} requests)`);
  const metrics = await proxy.metrics();
  t.ok(metricValue(metrics, METRIC.retryTotal, { authority: AUTHORITY }) >= 2, 'retry_total counts the retries');

  const posts = await statuses(proxy, 30, { method: 'POST', body: 'x' }, 3);
  t.ok(posts.includes(503), 'POST is not retried by default: some 503 reach the client');
  const allowed = await statuses(proxy, 30, { method: 'POST', body: 'x', authority: 'post.retry.test:8080' }, 3);
  t.same(new Set(allowed), new Set([200]), 'with retry methods: all, POST is retried');
});

t.test('a body up to 64 KiB is replayed on retry; a larger one is not retried', async (t) => {
  const firstSightings = new Set<string>();
  // Fails the first time it sees each x-id, so a retry (of the same body) succeeds.
  const once = await backend(t, (_n, req) => {
    const id = String(req.headers['x-id']);
    if (firstSightings.has(id)) return false;
    firstSightings.add(id);
    return true;
  });
  const proxy = await startProxy(t, { services: [service([once], { retry: { http: '503', limit: 1, methods: 'all' } })] });
  const small = Buffer.alloc(60 * 1024, 'a');
  const reply = await send(proxy.outbound, { authority: AUTHORITY, method: 'POST', body: small, chunkBytes: 16 * 1024, headers: { 'x-id': 'small' } });
  t.equal(reply.status, 200, '60 KiB body retried');
  t.equal(once.seen.at(-1)!.body.length, small.length, 'the retry carried the whole body');
  const large = Buffer.alloc(100 * 1024, 'b');
  const refused = await send(proxy.outbound, { authority: AUTHORITY, method: 'POST', body: large, headers: { 'x-id': 'large' } });
  t.equal(refused.status, 503, '100 KiB body: the failure reaches the client');
  t.equal(once.seen.at(-1)!.body.length, large.length, 'the one try got the whole body');
});

t.test('when nearly every request fails, retries stay within the budget (20 % + 10/s over 10 s)', async (t) => {
  // 5 of every 6 fail: near-total outage, yet never 7 failures in a row, so failure accrual keeps every
  // endpoint in and only the budget stands between the limit of 3 and a retry storm.
  const backends = [await backend(t, (n) => n % 6 !== 5), await backend(t, (n) => n % 6 !== 5)];
  const proxy = await startProxy(t, { services: [service(backends, { retry: { http: '5xx', limit: 3 } })] });
  const requests = 300;
  await statuses(proxy, requests, {}, 6);
  const metrics = await proxy.metrics();
  const retries = metricValue(metrics, METRIC.retryTotal, { authority: AUTHORITY });
  const exhausted = metricValue(metrics, METRIC.retryBudgetExhaustedTotal, { authority: AUTHORITY });
  const budget = requests * 0.2 + 10 * 10;
  t.ok(retries <= budget, `${retries} retries for ${requests} requests (budget ${budget})`);
  t.ok(retries >= budget * 0.9, 'the budget was used');
  t.ok(exhausted > 0, `retry_budget_exhausted_total: ${exhausted}`);
  const sent = backends.reduce((n, b) => n + b.seen.length, 0);
  t.equal(sent, requests + retries, 'backends saw the requests plus the counted retries, nothing more');
});

t.test('timeouts: the request timeout answers 504 timeout; a per-try timeout moves on to another endpoint', async (t) => {
  const hanging = await backend(t, () => false, 5_000);
  const fast = await backend(t, () => false);
  const proxy = await startProxy(t, {
    services: [
      service([hanging], { timeout: '300ms' }),
      service([hanging, fast], { retry: { http: '5xx', limit: 2, timeout: '200ms' } }, 'pertry.retry.test:8080'),
    ],
  });
  let started = Date.now();
  const reply = await send(proxy.outbound, { authority: AUTHORITY });
  t.equal(reply.status, 504);
  t.equal(reply.headers[PROXY_ERROR], 'timeout');
  t.ok(Date.now() - started < 2_000, `answered after ${Date.now() - started} ms`);

  started = Date.now();
  const got = await statuses(proxy, 6, { authority: 'pertry.retry.test:8080' }, 2);
  t.same(new Set(got), new Set([200]), 'every request answered by the fast endpoint in the end');
  t.ok(Date.now() - started < 4_000, `6 requests in ${Date.now() - started} ms: none waited for the hanging endpoint`);
});

t.test('gRPC: UNAVAILABLE retried; grpc-timeout honoured as DEADLINE_EXCEEDED and passed on as what is left', async (t) => {
  let calls = 0;
  const timeoutsSeen: string[] = [];
  // A raw gRPC server, so the test sees the grpc-timeout header itself. Every other call fails UNAVAILABLE
  // after its response headers (as grpc-js does once it sent metadata), so the proxy must hold the head.
  const backend = await startH2Backend(t, (stream, seen) => {
    if (seen.body.subarray(5).toString().includes('slow')) {
      timeoutsSeen.push(String(seen.headers['grpc-timeout']));
      return true; // never answers
    }
    const failing = calls++ % 2 === 0;
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers(failing ? { 'grpc-status': '14', 'grpc-message': 'try again' } : { 'grpc-status': '0' }));
    stream.end(failing ? undefined : grpcFrame(Buffer.from('ok')));
    return true;
  });
  const proxy = await startProxy(t, { services: [service([backend], { retry: { grpc: 'unavailable', limit: 2 } })] });
  const session = h2Connect(t, proxy.outbound);
  const call = (text: string, headers: Record<string, string> = {}) =>
    h2Request(
      session,
      { ':method': 'POST', ':path': '/weft.test.Echo/Unary', ':authority': AUTHORITY, 'content-type': 'application/grpc', te: 'trailers', ...headers },
      grpcFrame(Buffer.from(text)),
    );
  for (let i = 0; i < 6; i++) {
    const res = await call(`call-${i}`);
    t.equal(res.trailers['grpc-status'], '0', `call ${i} succeeded although every other answer is UNAVAILABLE`);
  }
  t.equal(calls, 12, 'each call took two tries');

  const started = Date.now();
  const res = await call('slow', { 'grpc-timeout': '400m' });
  t.equal(res.headers['grpc-status'], String(4), 'DEADLINE_EXCEEDED');
  t.equal(res.headers[PROXY_ERROR], 'timeout');
  t.ok(Date.now() - started < 2_000, `answered after ${Date.now() - started} ms`);
  t.equal(timeoutsSeen.length, 1);
  const passedOn = parseInt(timeoutsSeen[0], 10);
  t.ok(timeoutsSeen[0].endsWith('m') && passedOn > 0 && passedOn <= 400, `the backend was given the remaining time: ${timeoutsSeen[0]}`);
});

/** A gRPC length-prefixed message. */
function grpcFrame(message: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}
