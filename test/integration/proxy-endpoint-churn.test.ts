// Endpoint churn through one weft-proxy: 10,000 distinct endpoints come and go through file discovery, each
// used by a request. Pools of removed endpoints close at once; targets, metric series and everything else keyed
// by an endpoint are forgotten after WEFT_PROXY_IDLE_CACHE_TIMEOUT. Afterwards the proxy holds exactly the
// sockets it held before, its /metrics is back to its size before, and its heap (after a forced GC) and RSS
// have not grown beyond a bound.
//
// The endpoints are distinct addresses in 127/8 (all loopback) on one backend port: the backend listens on the
// wildcard address, as one listener cannot take several loopback addresses, and drops any peer not on loopback.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { isLoopback } from '../../common/admin-server';
import { METRIC } from '../../common/contract';
import { processResources, send, waitFor } from '../fixtures/http-client';
import { connectInspector, INSPECT_FLAGS } from '../fixtures/inspector';
import { ProxyProcess, serviceAt, startProxy, writeEndpointsFile } from '../fixtures/proxy-process';
import type { Teardown } from '../fixtures/weft-process';

const ENDPOINTS = 10_000;
const BATCH = 500;
const WARM_UP = 200;
const CONCURRENCY = 32;
const IDLE_TIMEOUT = '2s';
const SETTLE_TIMEOUT_MS = 30_000;
const METRICS_GROWTH_BOUND_BYTES = 16 * 1024;
const HEAP_GROWTH_BOUND_BYTES = 16 * 1024 * 1024;
const RSS_GROWTH_BOUND_KIB = 64 * 1024;

interface Backend {
  port: number;
  /** Connections open to it now: the proxy's upstream connections. */
  connections(): Promise<number>;
  /** Requests to /slow wait until this is called. */
  releaseSlow(): void;
}

async function startBackend(t: Teardown): Promise<Backend> {
  let held: http.ServerResponse[] = [];
  // A long keep-alive, so that only the proxy closing its pools brings the connection count down.
  const server = http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
    if (req.url === '/slow') return void held.push(res);
    res.end('ok');
  });
  server.on('connection', (socket) => {
    if (!isLoopback(socket.remoteAddress)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
    releaseSlow() {
      for (const res of held) res.end('slow ok');
      held = [];
    },
  };
}

const authorityOf = (n: number) => `e${n}.churn.test:80`;
/** The n-th endpoint: a distinct loopback address, never .0 or .255. */
const hostOf = (n: number) => `127.1.${2 + Math.floor(n / 250)}.${1 + (n % 250)}`;

function writeBatch(proxy: ProxyProcess, backend: Backend, ns: number[]): void {
  writeEndpointsFile(
    proxy.endpointsFile!,
    ns.map((n) => serviceAt(authorityOf(n), { host: hostOf(n), port: backend.port })),
  );
}

/** Writes the batch into discovery, waits until the proxy routes it, sends one request to each endpoint. */
async function churnBatch(proxy: ProxyProcess, backend: Backend, agent: http.Agent, ns: number[]): Promise<number> {
  writeBatch(proxy, backend, ns);
  const last = authorityOf(ns[ns.length - 1]);
  await waitFor(`the proxy to route ${last}`, async () => (await send(proxy.outbound, { authority: last, agent })).status === 200, 10_000, 20);
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < ns.length) {
      const n = ns[next++];
      const reply = await send(proxy.outbound, { authority: authorityOf(n), agent }).catch(() => undefined);
      if (reply?.status !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return failed;
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

/** Sockets the process holds open (listeners, connections), exactly, from /proc. */
function openSockets(pid: number): number {
  let sockets = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // Closed while listing.
    }
  }
  return sockets;
}

/**
 * The sockets a process holds when nothing is going on: the fewest seen over a second, since a connection that
 * just ended (a scrape's) may still be closing on its side.
 */
async function restingSockets(pid: number): Promise<number> {
  let fewest = openSockets(pid);
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    fewest = Math.min(fewest, openSockets(pid));
  }
  return fewest;
}

/** /metrics on a connection of its own that closes after the answer, so scraping holds no socket open. */
async function scrape(proxy: ProxyProcess): Promise<string> {
  const reply = await send(proxy.admin, { path: '/metrics', headers: { connection: 'close' } });
  return reply.body.toString();
}

/** Whether /metrics still names an authority or endpoint of the churn (target_addr 127.1.x.y). */
function mentionsChurn(text: string): boolean {
  return text.includes('.churn.test') || text.includes('"127.1.');
}

function eventLoopBuckets(text: string): number[] {
  return [...text.matchAll(new RegExp(`^${METRIC.eventLoopDelaySeconds}_bucket\\{le="[^"]+"\\} (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
}

t.test(`${ENDPOINTS} endpoints churned through discovery leave no sockets, series or memory behind`, async (t) => {
  const backend = await startBackend(t);
  const proxy = await startProxy(t, { services: [], env: { WEFT_PROXY_IDLE_CACHE_TIMEOUT: IDLE_TIMEOUT }, nodeFlags: INSPECT_FLAGS });
  const pid = proxy.child.pid!;
  const inspector = await connectInspector(t, proxy.logs);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  // Warm-up on endpoints outside the measured ones: lazily loaded code and JIT output are not churn.
  t.equal(await churnBatch(proxy, backend, agent, range(ENDPOINTS, WARM_UP)), 0, 'warm-up requests all answered');
  writeBatch(proxy, backend, []);
  agent.destroy();
  await waitFor('the warm-up connections to close', async () => (await backend.connections()) === 0, SETTLE_TIMEOUT_MS, 100);
  await waitFor('the warm-up to be forgotten', async () => !mentionsChurn(await scrape(proxy)), SETTLE_TIMEOUT_MS, 250);
  const beforeText = await scrape(proxy);
  const before = { sockets: await restingSockets(pid), metricsBytes: beforeText.length, heap: await inspector.heapUsedAfterGc(), rssKiB: processResources(pid).rssKiB };
  t.comment(`baseline: ${before.sockets} sockets, /metrics ${before.metricsBytes} B, heap ${(before.heap / 2 ** 20).toFixed(1)} MiB, RSS ${before.rssKiB} KiB`);

  const churnAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const startedAt = Date.now();
  let failed = 0;
  let peakUpstreams = 0;
  let midMetrics = '';
  for (let first = 0; first < ENDPOINTS; first += BATCH) {
    failed += await churnBatch(proxy, backend, churnAgent, range(first, BATCH));
    peakUpstreams = Math.max(peakUpstreams, await backend.connections());
    if (first === ENDPOINTS / 2) midMetrics = await scrape(proxy);
  }
  t.comment(`churned ${ENDPOINTS} endpoints in ${Date.now() - startedAt} ms; at most ${peakUpstreams} upstream connections open at a batch's end`);
  t.equal(failed, 0, `all ${ENDPOINTS} requests answered`);
  if (failed > 0) t.comment(proxy.logs().slice(-3000));
  t.ok(peakUpstreams <= 2 * BATCH, `pools of endpoints discovery removed were closed as batches went by (at most ${peakUpstreams} connections open)`);
  t.ok(
    midMetrics.includes(`target_addr="${hostOf(ENDPOINTS / 2 + BATCH - 1)}:${backend.port}"`) && midMetrics.length > before.metricsBytes + 100 * METRICS_GROWTH_BOUND_BYTES,
    `mid-churn /metrics names the endpoints in use (${midMetrics.length} B): the series do exist before they are forgotten`,
  );

  writeBatch(proxy, backend, []);
  churnAgent.destroy();
  let after = { sockets: 0, metricsBytes: 0 };
  await waitFor(
    'sockets and /metrics to return to the baseline',
    async () => {
      after = { sockets: openSockets(pid), metricsBytes: (await scrape(proxy)).length };
      return after.sockets === before.sockets && after.metricsBytes <= before.metricsBytes + METRICS_GROWTH_BOUND_BYTES;
    },
    SETTLE_TIMEOUT_MS,
    250,
  ).catch(() => {});
  t.equal(after.sockets, before.sockets, `open sockets ${after.sockets}, baseline ${before.sockets}`);
  t.equal(await backend.connections(), 0, 'no upstream connection is left open');
  t.ok(after.metricsBytes <= before.metricsBytes + METRICS_GROWTH_BOUND_BYTES, `/metrics ${after.metricsBytes} B, baseline ${before.metricsBytes} B (bound +${METRICS_GROWTH_BOUND_BYTES} B)`);
  const afterText = await scrape(proxy);
  t.notOk(mentionsChurn(afterText), 'no series names a churned authority or endpoint');

  const heap = await inspector.heapUsedAfterGc();
  t.ok(heap - before.heap <= HEAP_GROWTH_BOUND_BYTES, `heap after GC ${(heap / 2 ** 20).toFixed(1)} MiB, baseline ${(before.heap / 2 ** 20).toFixed(1)} MiB (bound +${HEAP_GROWTH_BOUND_BYTES / 2 ** 20} MiB)`);
  const growthKiB = processResources(pid).rssKiB - before.rssKiB;
  t.ok(growthKiB <= RSS_GROWTH_BOUND_KIB, `RSS grew ${growthKiB} KiB from ${before.rssKiB} KiB (bound ${RSS_GROWTH_BOUND_KIB} KiB)`);

  // The event-loop-delay histogram is on /metrics, cumulative, and counted all along.
  const beforeBuckets = eventLoopBuckets(beforeText);
  const afterBuckets = eventLoopBuckets(afterText);
  t.match(afterText, `# TYPE ${METRIC.eventLoopDelaySeconds} histogram`);
  t.ok(afterBuckets.length > 5 && afterBuckets.every((v, i) => i === 0 || v >= afterBuckets[i - 1]), `${METRIC.eventLoopDelaySeconds} buckets are cumulative: ${afterBuckets.join(' ')}`);
  t.ok(afterBuckets[afterBuckets.length - 1] > beforeBuckets[beforeBuckets.length - 1], 'and kept counting through the churn');
});

t.test('an endpoint discovery removes has its pool closed at once, after the request in flight on it', async (t) => {
  const backend = await startBackend(t);
  const authority = 'gone.churn.test:80';
  const proxy = await startProxy(t, { services: [serviceAt(authority, { host: hostOf(0), port: backend.port })] });
  t.equal((await send(proxy.outbound, { authority })).status, 200);
  const slow = send(proxy.outbound, { authority, path: '/slow' });
  await waitFor('the slow request to reach the backend', async () => (await backend.connections()) >= 1);

  writeEndpointsFile(proxy.endpointsFile!, []);
  await waitFor('discovery to drop the endpoint', async () => (await send(proxy.outbound, { authority })).status !== 200, 10_000);
  t.ok((await backend.connections()) >= 1, 'the connection carrying the request in flight stays open');
  backend.releaseSlow();
  const reply = await slow;
  t.equal(reply.status, 200, 'the request in flight finishes normally');
  t.equal(reply.body.toString(), 'slow ok');
  // The idle timeout is the default 10 minutes: only the removal can close the pool this soon.
  await waitFor('the removed endpoint’s pool to close', async () => (await backend.connections()) === 0, 10_000);
  t.pass('its pool closed without waiting for the idle timeout');
});
