// Load balancing against real backends through a real weft-proxy: P2C peak-EWMA steering away from a slow
// endpoint, failure accrual taking a failing endpoint out and probing it back, endpoints leaving discovery
// without cutting their requests in flight, fail-fast with no endpoints, and h2 balanced per request.
import * as http from 'node:http';
import t from 'tap';
import { formatHostPort } from '../../common/address';
import { PROXY_ERROR } from '../../common/contract';
import { startEchoServer } from '../fixtures/http-backends';
import { h2Connect, h2Request, startH2Backend } from '../fixtures/h2-backend';
import { send, waitFor } from '../fixtures/http-client';
import { ProxyProcess, startProxy, writeEndpointsFile } from '../fixtures/proxy-process';

const AUTHORITY = 'web.balance.test:8080';

/** Answers 200 after `ms`, or with `status()` when that says so. */
function answer(ms: number, status: () => number = () => 200) {
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    setTimeout(() => {
      res.writeHead(status(), { 'content-length': 2 });
      res.end('ok');
    }, ms);
    return true;
  };
}

/** `total` requests, `concurrency` at a time over keep-alive connections; the statuses in order of completion. */
async function sendMany(proxy: ProxyProcess, total: number, concurrency: number, pauseMs = 0): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: number[] = [];
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      statuses.push((await send(proxy.outbound, { authority: AUTHORITY, agent })).status);
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return statuses;
}

t.test('of three backends, the one 10x slower gets under 10 % of requests after warm-up', async (t) => {
  // 20 ms against 200 ms: far enough above this shared machine's scheduling noise that noise does not decide.
  const fast = [await startEchoServer(t, answer(20)), await startEchoServer(t, answer(20))];
  const slow = await startEchoServer(t, answer(200));
  const endpoints = [...fast, slow].map((b) => ({ addr: formatHostPort(b.addr) }));
  const proxy = await startProxy(t, { services: [{ authority: AUTHORITY, endpoints }] });
  // Warm-up: every endpoint starts at 30 ms and estimates move with time (decay 10 s), not request count.
  await sendMany(proxy, 300, 2, 10);
  const slowBefore = slow.seen.length;
  const statuses = await sendMany(proxy, 300, 4);
  t.ok(statuses.every((s) => s === 200), 'every request answered');
  const share = (slow.seen.length - slowBefore) / 300;
  t.ok(share < 0.1, `slow backend share after warm-up: ${(share * 100).toFixed(1)} %`);
  t.ok(fast.every((b) => b.seen.length > 50), 'both fast backends carry the load');
});

t.test('a backend failing every request is taken out after 7 failures and probed back once healthy', async (t) => {
  let broken = true;
  const flaky = await startEchoServer(t, answer(0, () => (broken ? 500 : 200)));
  const healthy = [await startEchoServer(t, answer(2)), await startEchoServer(t, answer(2))];
  const endpoints = [flaky, ...healthy].map((b) => ({ addr: formatHostPort(b.addr) }));
  const proxy = await startProxy(t, { services: [{ authority: AUTHORITY, endpoints }] });

  const statuses = await sendMany(proxy, 60, 4);
  const failures = statuses.filter((s) => s === 500).length;
  // Out after its 7th failure in a row, plus what was already in flight to it (≤ 3), plus at most one probe
  // if this machine took over the 1 s backoff to send the rest.
  t.ok(flaky.seen.length >= 7 && flaky.seen.length <= 11, `the failing backend saw ${flaky.seen.length} of 60`);
  t.equal(failures, flaky.seen.length, 'the client saw only those failures');

  broken = false;
  const seenWhenHealed = flaky.seen.length;
  await waitFor(
    'the healed backend to be probed and back in',
    async () => {
      await sendMany(proxy, 10, 3);
      return flaky.seen.length >= seenWhenHealed + 3;
    },
    8_000,
    100,
  );
  t.pass(`probed back: it has received ${flaky.seen.length - seenWhenHealed} requests since it healed`);
});

t.test('a backend removed from discovery gets nothing new while its requests in flight complete', async (t) => {
  const held: http.ServerResponse[] = [];
  const leaving = await startEchoServer(t, (_req, res) => {
    held.push(res);
    return true;
  });
  const staying = await startEchoServer(t, answer(1));
  const service = (backends: (typeof staying)[]) => [{ authority: AUTHORITY, endpoints: backends.map((b) => ({ addr: formatHostPort(b.addr) })) }];
  const proxy = await startProxy(t, { services: service([leaving, staying]) });

  const inFlight: Promise<{ status: number; body: Buffer }>[] = [];
  // One held request is enough: P2C rightly steers later requests away from an endpoint with one pending.
  await waitFor('a request held by the leaving backend', async () => {
    const request = send(proxy.outbound, { authority: AUTHORITY, timeoutMs: 20_000 });
    request.catch(() => {}); // awaited below; if the test fails first, teardown resets them
    inFlight.push(request);
    await new Promise((r) => setTimeout(r, 20));
    return held.length >= 1;
  });

  writeEndpointsFile(proxy.endpointsFile!, service([staying]));
  await waitFor('the proxy to reload its endpoints', () => proxy.logs().includes('endpoints file reloaded'));
  const seenAtRemoval = leaving.seen.length;
  const after = await sendMany(proxy, 30, 2);
  t.ok(after.every((s) => s === 200), 'new requests are answered by the remaining backend');
  t.equal(leaving.seen.length, seenAtRemoval, 'the removed backend received nothing new');

  for (const res of held) {
    res.writeHead(200, { 'content-length': 4 });
    res.end('held');
  }
  const completed = await Promise.all(inFlight);
  t.ok(completed.every((r) => r.status === 200), `all ${completed.length} requests in flight at removal completed`);
  t.equal(completed.filter((r) => r.body.toString() === 'held').length, held.length, 'including those the removed backend held');
});

t.test('with no endpoint for 3 s: 503 fail-fast naming the service, then fail-fast at once', async (t) => {
  const proxy = await startProxy(t, { services: [{ authority: AUTHORITY, endpoints: [] }] });
  let started = Date.now();
  const first = await send(proxy.outbound, { authority: AUTHORITY });
  const waited = Date.now() - started;
  t.equal(first.status, 503);
  t.equal(first.headers[PROXY_ERROR], 'fail-fast');
  t.match(first.body.toString(), AUTHORITY);
  t.ok(waited >= 2_900 && waited < 6_000, `waited ${waited} ms for an endpoint`);
  started = Date.now();
  const second = await send(proxy.outbound, { authority: AUTHORITY });
  t.equal(second.headers[PROXY_ERROR], 'fail-fast');
  t.ok(Date.now() - started < 1_000, 'the service is in fail-fast: no second wait');
});

t.test('h2 requests on one client connection are balanced per request', async (t) => {
  const counts = [0, 0];
  const backends = await Promise.all(
    counts.map((_, i) =>
      startH2Backend(t, () => {
        counts[i]++;
        return false;
      }),
    ),
  );
  const proxy = await startProxy(t, { services: [{ authority: AUTHORITY, endpoints: backends.map((b) => ({ addr: formatHostPort(b.addr) })) }] });
  const session = h2Connect(t, proxy.outbound);
  // Concurrent streams: with pending requests counted, P2C spreads them even though they share a connection.
  const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => h2Request(session, { ':method': 'GET', ':path': `/${i}`, ':authority': AUTHORITY })));
  t.ok(responses.every((r) => r.status === 200), 'every stream answered');
  t.ok(counts.every((n) => n >= 5), `both backends served requests from the one connection: ${counts.join(' / ')}`);
});
