// The tap paths of the bench: one weft hop whose proxy holds an identity (so its tap port is live), with tap
// closed, or with one tap stream open to it as the control plane's tap service opens them (mTLS, the tap
// identity's certificate from the bench identity's issuer). The bench reads and counts the stream's events in
// the orchestrator, on the load core.
import { fetchMetrics, sumWhere } from '../common/views/exposition';
import { TAP_METRIC } from '../common/contract';
import { MAX_TAP_MAX_RPS, TapMatch } from '../common/tap-api';
import { observeProxy } from '../controller/tap/proxy-client';
import type { DropReason } from '../proxy/tap/taps';
import { LOOPBACK } from './net';
import type { OpenPath } from './paths';
import { BENCH_AUTHORITY, ChainOptions, startWeftOneHopWithIdentity, WeftProxy } from './weft';

export const TAP_CLOSED = 'weft 1 hop tap closed';
export const TAP_OPEN_NO_MATCH = 'weft 1 hop tap open (no match)';
export const TAP_OPEN_EVERY_REQUEST = 'weft 1 hop tap open (every request)';
export const TAP_PATH_NAMES = [TAP_CLOSED, TAP_OPEN_NO_MATCH, TAP_OPEN_EVERY_REQUEST] as const;
export type TapPathName = (typeof TAP_PATH_NAMES)[number];

export function isTapPath(name: string): name is TapPathName {
  return (TAP_PATH_NAMES as readonly string[]).includes(name);
}

/** Both open taps run the same filter on the bench's outbound requests, which all go to `/`; a prefix of
 *  another path makes it match none of them. */
const BENCH_REQUESTS: TapMatch = { direction: 'outbound', authority: BENCH_AUTHORITY, method: 'GET', pathPrefix: '/', to: null, from: null };
const MATCHES: Record<TapPathName, TapMatch | undefined> = {
  [TAP_CLOSED]: undefined,
  [TAP_OPEN_NO_MATCH]: { ...BENCH_REQUESTS, pathPrefix: '/not-the-bench-path' },
  [TAP_OPEN_EVERY_REQUEST]: BENCH_REQUESTS,
};
const TAP_OPEN_TIMEOUT_MS = 15_000;
const METRICS_TIMEOUT_MS = 5_000;

/** Long enough without an event for the stream to have delivered what the proxy had queued. */
const QUIET_MS = 300;
const DRAIN_TIMEOUT_MS = 5_000;
const DROP_REASONS: readonly DropReason[] = ['rate', 'slow_reader'];

/** What an open tap has given so far. */
export interface TapCounts {
  /** Events the bench read off the stream. */
  read: number;
  /** Events the proxy dropped (`tap_events_dropped_total`): past the tap's rate, or while its stream was full. */
  dropped: Record<DropReason, number>;
}

export interface BenchTap {
  /** Once the stream has gone quiet (what the proxy had queued has arrived), the counts so far. */
  counts(): Promise<TapCounts>;
}

function metricsUrl(proxy: WeftProxy): string {
  return `http://${LOOPBACK}:${proxy.adminPort}/metrics`;
}

/** Polls until the proxy counts one open tap; fails at once with the stream's reason when it ends instead. */
async function waitUntilOpen(proxy: WeftProxy, endedWith: () => string | undefined): Promise<void> {
  const deadline = Date.now() + TAP_OPEN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const why = endedWith();
    if (why !== undefined) throw new Error(`the tap stream ended before it opened: ${why}`);
    if (sumWhere(await fetchMetrics(metricsUrl(proxy), METRICS_TIMEOUT_MS), TAP_METRIC.openTaps) === 1) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the proxy did not count the tap as open within ${TAP_OPEN_TIMEOUT_MS} ms`);
}

/** One hop with an identity, tap closed or open as `name` says; closing the path closes the tap first. */
export async function openTapPath(name: TapPathName, backendPort: number, dir: string, weft: ChainOptions): Promise<OpenPath> {
  const chain = await startWeftOneHopWithIdentity(dir, backendPort, weft);
  const [proxy] = chain.proxies;
  const path = { name, port: chain.port, proxies: [proxy.process] };
  const match = MATCHES[name];
  if (match === undefined) return { ...path, close: () => chain.stop() };
  let read = 0;
  let lastEventAt = 0;
  let endedWith: string | undefined;
  const target = { addr: { host: LOOPBACK, port: proxy.tapPort }, identity: chain.identity.nameOf('proxy'), trustAnchorsPem: chain.identity.trustAnchorsPem };
  // The highest rate a tap may ask for, so that as many events as the proxy will send reach the bench.
  const stream = observeProxy(target, chain.identity.tapClient(), { maxRps: MAX_TAP_MAX_RPS, match }, () => ((read += 1), (lastEventAt = Date.now())));
  void stream.ended.then((why) => (endedWith = why ?? 'cancelled'));
  try {
    await waitUntilOpen(proxy, () => endedWith);
  } catch (err) {
    stream.cancel();
    await chain.stop();
    throw err;
  }
  const tap: BenchTap = {
    counts: async () => {
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      while (Date.now() - lastEventAt < QUIET_MS && Date.now() < deadline) await new Promise((r) => setTimeout(r, QUIET_MS / 3));
      if (endedWith !== undefined) throw new Error(`the tap stream ended: ${endedWith}`);
      const samples = await fetchMetrics(metricsUrl(proxy), METRICS_TIMEOUT_MS);
      const dropped = Object.fromEntries(DROP_REASONS.map((reason) => [reason, sumWhere(samples, TAP_METRIC.eventsDroppedTotal, { reason })])) as Record<DropReason, number>;
      return { read, dropped };
    },
  };
  return {
    ...path,
    tap,
    close: async () => {
      stream.cancel();
      await chain.stop();
    },
  };
}
