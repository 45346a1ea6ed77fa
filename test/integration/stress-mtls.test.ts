// Two meshed proxies with mTLS under load: 16 keep-alive HTTP/1.1 clients at up to 1,000 req/s that cancel a
// few requests mid-flight, a backend that resets about 1 % of requests, then a few seconds of saturation by 32
// clients. Half the requests go to a service with retries and a timeout, so tries are also cut off and
// replaced under load. Every request gets its answer or a proxy error (or was the one cancelled), both proxies
// live through it, and afterwards their file descriptors return to the baseline and their heaps stay bounded.
//
// The rate is a ceiling: on a busy machine the clients get less, and the test says how much in a comment.
import * as http from 'node:http';
import t, { type Test } from 'tap';
import { formatHostPort } from '../../common/address';
import { identityName, METRIC } from '../../common/contract';
import { listenOnLoopback } from '../fixtures/http-backends';
import { processResources, send, waitFor } from '../fixtures/http-client';
import { describeLoad, LoadResult, runLoad } from '../fixtures/http-load';
import { startTestIdentityService } from '../fixtures/identity';
import { metricValue, ProxyProcess, startProxy } from '../fixtures/proxy-process';

const WEB = 'web.test:8080';
/** The same backend, with retries of gateway errors and a request timeout. */
const WEB_RETRIED = 'web-retried.test:8080';
const WEB_ID = identityName('web', 'test');
/**
 * A few KiB, so a response is HEADERS plus DATA frames in more than one TLS record: over mTLS with many
 * streams in flight, Node then sometimes parses a response's HEADERS and DATA in one pass and emits 'data'
 * before 'response' (the order proxy/http/http2-upstream.ts must not depend on).
 */
const ANSWER = 'stress-answer\n'.repeat(300);

const STEADY = { clients: 16, ratePerSecond: 1_000, durationMs: 8_000, maxRequests: 8_000 };
const BURST = { clients: 32, durationMs: 3_000, maxRequests: 20_000 };
const CANCEL_RATIO = 0.03;
const RESET_RATIO = 0.01;
/** The retried service's timeout: far beyond what a request takes, even on a busy machine. */
const SERVICE_TIMEOUT = '8s';
/** Generous, and beyond the service timeout: a request this late is lost, not slow. */
const REQUEST_DEADLINE_MS = 15_000;
/** The proxy errors this test provokes: the backend's resets, and (were the machine very slow) timeouts. */
const EXPECTED_PROXY_ERRORS = new Set(['upstream-reset', 'timeout']);
const FD_MARGIN = 5;
const SETTLE_MS = 15_000;
/** Without a forced GC the heap after a burst holds garbage not yet collected; growth must stay below this. */
const HEAP_GROWTH_BOUND_BYTES = 96 * 1024 * 1024;
const HEAP_USED = 'nodejs_heap_size_used_bytes';

t.test('two mTLS proxies under paced load, cancellations, upstream resets and a saturation burst', async (t) => {
  const identity = await startTestIdentityService(t);
  let served = 0;
  // Resets ~1 % of requests before answering, and answers half of the others a few ms late so that client
  // cancellations catch them in flight. Idle keep-alive connections close after 500 ms, so once the load is
  // over the server proxy's pool to it empties and its fd count can return to the baseline.
  const backend = http.createServer({ keepAliveTimeout: 500, connectionsCheckingInterval: 200 }, (req, res) => {
    req.resume();
    if (Math.random() < RESET_RATIO) return void req.socket.destroy();
    const answer = () => {
      served++;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(ANSWER) });
      res.end(ANSWER);
    };
    if (Math.random() < 0.5) answer();
    else setTimeout(answer, Math.random() * 4);
  });
  const backendAddr = await listenOnLoopback(t, backend);
  const server = await startProxy(t, { app: backendAddr, identity: identity.proxyEnv('web') });
  const client = await startProxy(t, {
    identity: identity.proxyEnv('client'),
    services: [
      { authority: WEB, endpoints: [{ addr: formatHostPort(server.inbound), identity: WEB_ID }] },
      { authority: WEB_RETRIED, endpoints: [{ addr: formatHostPort(server.inbound), identity: WEB_ID }], retry: { http: 'gateway-error', limit: 1 }, timeout: SERVICE_TIMEOUT },
    ],
  });
  const proxies = { client, server };

  // Warm up: the mTLS session between the proxies and the server proxy's pool exist before the baseline.
  for (let i = 0; i < 20; i++) await send(client.outbound, { authority: i % 2 ? WEB : WEB_RETRIED, path: '/warm-up' });
  await waitFor('the backend connections to go idle and close', async () => (await connections(backend)) === 0, 10_000);
  const baseline = await measure(proxies);
  t.comment(`baseline: ${describeResources(baseline)}`);

  const isAnswer = (body: string) => body === ANSWER;
  const authorities = [WEB, WEB_RETRIED];
  const steady = await runLoad({ to: client.outbound, authorities, ...STEADY, cancelRatio: CANCEL_RATIO, requestDeadlineMs: REQUEST_DEADLINE_MS }, isAnswer);
  t.comment(`steady: ${describeLoad(steady)}`);
  const burst = await runLoad({ to: client.outbound, authorities, ...BURST, cancelRatio: CANCEL_RATIO, requestDeadlineMs: REQUEST_DEADLINE_MS }, isAnswer);
  t.comment(`burst: ${describeLoad(burst)}`);

  for (const [name, proxy] of Object.entries(proxies)) t.ok(alive(proxy), `the ${name} proxy is alive`, { exitCode: proxy.child.exitCode, log: logTail(proxy) });
  for (const [phase, result] of [
    ['steady', steady],
    ['burst', burst],
  ] as const) {
    t.equal(result.unexpected, 0, `${phase}: every request got its answer, a proxy error, or was cancelled`, { samples: result.unexpectedSamples });
    t.ok(result.answered > result.sent / 2, `${phase}: most requests were answered by the backend (${result.answered} of ${result.sent})`);
    assertOnlyExpectedErrors(t, phase, result);
  }
  t.ok(served > 0, `the backend answered ${served} requests`);
  if (!alive(client) || !alive(server)) return;
  t.comment(`tries retried by the client proxy: ${metricValue(await client.metrics(), METRIC.retryTotal)}`);

  // The clients have closed their connections: fds go back to the baseline as the proxies let go of them.
  let after = await measure(proxies);
  const settled = (name: 'client' | 'server') =>
    after[name].openFds <= baseline[name].openFds + FD_MARGIN && after[name].heapUsed - baseline[name].heapUsed <= HEAP_GROWTH_BOUND_BYTES;
  await waitFor(
    'file descriptors to return to the baseline and the heaps to settle',
    async () => {
      after = await measure(proxies);
      return settled('client') && settled('server');
    },
    SETTLE_MS,
    250,
  ).catch(() => {});
  t.comment(`after: ${describeResources(after)}`);
  for (const name of ['client', 'server'] as const) {
    t.ok(after[name].openFds <= baseline[name].openFds + FD_MARGIN, `${name} proxy: open fds ${after[name].openFds}, baseline ${baseline[name].openFds} (margin ${FD_MARGIN}), besides ${after[name].pooled} pooled connections between the proxies`);
    t.ok(after[name].pooled <= POOLED_BOUND, `${name} proxy: ${after[name].pooled} pooled connections between the proxies (bound ${POOLED_BOUND})`);
    const growth = after[name].heapUsed - baseline[name].heapUsed;
    t.ok(growth <= HEAP_GROWTH_BOUND_BYTES, `${name} proxy: heap used grew ${mib(growth)} MiB from ${mib(baseline[name].heapUsed)} MiB (bound ${mib(HEAP_GROWTH_BOUND_BYTES)} MiB)`);
  }

  const reply = await send(client.outbound, { authority: WEB, path: '/after-stress' });
  t.equal(reply.status, 200, 'a request after the stress is answered');
});

/** A backend reset is the only fault: nothing is shed, failed fast, or failed inside the proxy. */
function assertOnlyExpectedErrors(t: Test, phase: string, result: LoadResult): void {
  const reasons = Object.keys(result.proxyErrors).filter((reason) => !EXPECTED_PROXY_ERRORS.has(reason));
  t.same(reasons, [], `${phase}: the only proxy errors are ${[...EXPECTED_PROXY_ERRORS].join(' and ')}`, { proxyErrors: result.proxyErrors });
}

interface Resources {
  /** Open fds less the kept-alive HTTP/1.1 connections between the two proxies, which the pool may keep. */
  openFds: number;
  /** Those mTLS connections between the proxies, by the proxy's own tcp_open_connections. */
  pooled: number;
  heapUsed: number;
}

/** At most one pooled connection per request the burst had in flight, plus the steady phase's clients. */
const POOLED_BOUND = 32 + 16;

async function measure(proxies: { client: ProxyProcess; server: ProxyProcess }): Promise<{ client: Resources; server: Resources }> {
  const one = async (proxy: ProxyProcess, peerSide: Record<string, string>): Promise<Resources> => {
    const text = await proxy.metrics();
    const pooled = metricValue(text, METRIC.tcpOpenConnections, { ...peerSide, tls: 'true' });
    return { openFds: processResources(proxy.child.pid!).openFds - pooled, pooled, heapUsed: metricValue(text, HEAP_USED) };
  };
  return { client: await one(proxies.client, { direction: 'outbound', peer: 'dst' }), server: await one(proxies.server, { direction: 'inbound', peer: 'src' }) };
}

function describeResources(r: { client: Resources; server: Resources }): string {
  return `client ${r.client.openFds} fds + ${r.client.pooled} pooled, heap ${mib(r.client.heapUsed)} MiB; server ${r.server.openFds} fds + ${r.server.pooled} pooled, heap ${mib(r.server.heapUsed)} MiB`;
}

function connections(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

function alive(proxy: ProxyProcess): boolean {
  return proxy.child.exitCode === null && proxy.child.signalCode === null;
}

function logTail(proxy: ProxyProcess): string {
  return proxy.logs().split('\n').slice(-30).join('\n');
}

function mib(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}
