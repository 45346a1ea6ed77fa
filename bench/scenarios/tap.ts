// What tap costs on the request path (issue 14: "with no tap open the request path does no tap work beyond one
// boolean check"): one weft hop with HTTP/1.1 small requests, its proxy with an identity so the tap port is
// live, side by side in the same rounds with tap closed, with no tap port at all, and with a tap stream open
// that matches nothing or every request. Saturation throughput and proxy CPU per request, p99 at a fixed rate,
// each as a ratio to tap closed; `derive` says in words which differences stand out of the rounds' noise.
import { MAX_TAP_MAX_RPS } from '../../common/tap-api';
import { runWrk } from '../load/wrk';
import type { PathName } from '../paths';
import { TAP_CLOSED, TAP_OPEN_EVERY_REQUEST, TAP_OPEN_NO_MATCH, TAP_PATH_NAMES, TapCounts } from '../tap';
import { BENCH_AUTHORITY } from '../weft';
import { constantRate, MEASURE_S, POOL_CONNECTIONS, RATE_METHOD, ROUNDS, WARMUP_METHOD, WARMUP_MS } from './fixed-rate';
import { SATURATION_CONNECTIONS, warmUpHttp1 } from './http1';
import type { MeasureContext, Row, Scenario, Table, Values } from './types';
import { withUsage } from './usage';

const LATENCY_RATE = 1000;
/** The proxy serves tap only with an identity and has no switch for tap alone: without identity, no tap port. */
const NO_TAP_PORT: PathName = 'weft 1 hop';
const TABLE_ID = 'tap';

const OPEN_TAP_WORDS: Partial<Record<PathName, string>> = {
  [TAP_OPEN_NO_MATCH]: 'A tap open that matches nothing',
  [TAP_OPEN_EVERY_REQUEST]: 'A tap open that matches every request',
};

/** The values compared with tap closed, each with its ratio column. */
const COMPARED = [
  { key: 'requestsPerSecond', ratioKey: 'rpsVsClosed', words: 'req/s' },
  { key: 'cpuUsPerRequest', ratioKey: 'cpuVsClosed', words: 'proxy CPU per request' },
  { key: 'p99Ms', ratioKey: 'p99VsClosed', words: `p99 at ${LATENCY_RATE} req/s` },
] as const;

async function tapCounts(ctx: MeasureContext): Promise<TapCounts | undefined> {
  return ctx.path.tap?.counts();
}

/** Events read and dropped between two counts, per request of the window. */
function tapValues(before: TapCounts | undefined, after: TapCounts | undefined, requests: number): Values {
  if (!before || !after || requests === 0) return {};
  return {
    eventsPerRequest: (after.read - before.read) / requests,
    rateDroppedPerRequest: (after.dropped.rate - before.dropped.rate) / requests,
    slowReaderDroppedPerRequest: (after.dropped.slow_reader - before.dropped.slow_reader) / requests,
  };
}

async function latency(ctx: MeasureContext): Promise<Values> {
  const before = await tapCounts(ctx);
  const [fixed] = await withUsage(ctx, () => constantRate(ctx, 'http1', LATENCY_RATE));
  const after = await tapCounts(ctx);
  if (fixed.firstError !== undefined) ctx.note(`first failure: ${fixed.firstError}`);
  const values: Values = { p50Ms: fixed.p50Ms, p99Ms: fixed.p99Ms, failed: fixed.failed };
  // The run's warm-up requests are tapped too but not counted in `completed`: add them back.
  const answered = fixed.completed + (LATENCY_RATE * WARMUP_MS) / 1000;
  if (before && after) values.eventsPerRequestAtRate = (after.read - before.read) / answered;
  return values;
}

async function saturate(ctx: MeasureContext): Promise<Values> {
  const before = await tapCounts(ctx);
  const [result, usage] = await withUsage(ctx, () => runWrk(ctx.path.port, BENCH_AUTHORITY, SATURATION_CONNECTIONS, MEASURE_S));
  const after = await tapCounts(ctx);
  const values: Values = { requestsPerSecond: result.requestsPerSecond, failed: result.failed, ...tapValues(before, after, result.requests) };
  if (result.requests > 0) values.cpuUsPerRequest = (usage.proxy.cpuSeconds / result.requests) * 1e6;
  return values;
}

function percent(value: number, reference: number): string {
  const p = ((value - reference) / reference) * 100;
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(1)}%`;
}

interface Comparison {
  text: string;
  /** Undefined when there is no noise estimate (one round). */
  withinNoise?: boolean;
}

/** One value of `row` against `baseline`'s, and whether the difference stands out of the rounds' spread. */
function compare(row: Row, baseline: Row, key: string, words: string): Comparison | undefined {
  const value = row.values[key];
  const reference = baseline.values[key];
  if (value === undefined || reference === undefined || reference === 0) return undefined;
  const spreads = [row.spread?.[key], baseline.spread?.[key]].filter((s): s is number => s !== undefined);
  if (spreads.length < 2) return { text: `${words} ${percent(value, reference)} (one round: no noise estimate)` };
  // The rounds alternate between the paths, so the range of either row's rounds is the noise both share.
  const noise = Math.max(...spreads);
  const withinNoise = Math.abs(value - reference) <= noise;
  return { text: `${words} ${percent(value, reference)} (${withinNoise ? 'within noise' : 'beyond noise'}: the rounds ranged over ${((noise / reference) * 100).toFixed(1)}%)`, withinNoise };
}

/** What one row shows against its baseline: tap closed against no tap port (what a closed tap costs), an open
 *  tap against tap closed (what opening one costs). */
function finding(row: Row, closed: Row): string | undefined {
  const againstNoTapPort = row.path === NO_TAP_PORT;
  const [subject, baseline, what] = againstNoTapPort
    ? [closed, row, 'Tap closed against no tap port (weft 1 hop, identity disabled)']
    : [row, closed, `${OPEN_TAP_WORDS[row.path] ?? row.path}, against tap closed`];
  const comparisons = COMPARED.map((c) => compare(subject, baseline, c.key, c.words)).filter((c): c is Comparison => c !== undefined);
  if (comparisons.length === 0) return undefined;
  const text = comparisons.map((c) => c.text).join(', ');
  if (againstNoTapPort) {
    const verdict = comparisons.every((c) => c.withinNoise) ? ': a closed tap costs nothing this run can tell from noise' : '';
    return `${what}: ${text}${verdict}.`;
  }
  const { eventsPerRequestAtRate: atRate = 0, eventsPerRequest: events = 0, rateDroppedPerRequest: rate = 0, slowReaderDroppedPerRequest: slow = 0 } = row.values;
  return `${what}: ${text}; the bench read ${atRate.toFixed(3)} tap events per request at ${LATENCY_RATE} req/s and ${events.toFixed(3)} at saturation, where the proxy dropped ${rate.toFixed(3)} per request past max_rps and ${slow.toFixed(3)} for a slow reader.`;
}

/** Ratio columns to tap closed, and the findings. */
function deriveTap(tables: Table[]): void {
  const table = tables.find((t) => t.id === TABLE_ID);
  const closed = table?.rows.find((r) => r.path === TAP_CLOSED);
  if (!table || !closed) return;
  for (const row of table.rows) {
    for (const { key, ratioKey } of COMPARED) {
      const reference = closed.values[key];
      if (row.values[key] !== undefined && reference) row.values[ratioKey] = row.values[key] / reference;
    }
  }
  table.findings = table.rows.filter((r) => r !== closed).map((r) => finding(r, closed)).filter((f): f is string => f !== undefined);
}

export const tapScenario: Scenario = {
  id: 'tap',
  name: 'Tap on one weft hop',
  protocol: 'http1',
  backend: 'hello-http1',
  rounds: ROUNDS,
  paths: [NO_TAP_PORT, ...TAP_PATH_NAMES],
  warmUp: warmUpHttp1,
  steps: [
    { tableId: TABLE_ID, run: latency },
    { tableId: TABLE_ID, run: saturate },
  ],
  tables: [
    {
      id: TABLE_ID,
      title: 'What tap costs: one weft hop, HTTP/1.1, tap closed, off and open',
      method:
        `The proxy holds a certificate from a bench identity service, so its tap port is live; "${TAP_CLOSED}" is it as it runs by default (tap port listening, no tap ever opened: of tap's code only the request path's boolean gate and the bare listener are loaded). ` +
        `The proxy has no switch for tap alone (proxy/config.ts reads only the tap address; no WEFT_PROXY_ variable turns it off): it serves tap only with an identity, so "${NO_TAP_PORT}" (identity disabled) is the proxy with no tap port. On this path identity changes nothing per request (the backend has no identity: no TLS is originated) and the gate's one boolean check is in both. ` +
        `The open taps are one stream each, as the control plane's tap identity (its certificate from the bench identity's issuer), max_rps ${MAX_TAP_MAX_RPS}, filtering the bench's outbound GETs by authority and path prefix: "/" matches every request, another prefix none; the bench reads and counts the events in the orchestrator (load core). ` +
        `${WARMUP_METHOD[0].toUpperCase()}${WARMUP_METHOD.slice(1)}; then in alternating rounds: p99 at ${LATENCY_RATE} req/s (${RATE_METHOD}, ${POOL_CONNECTIONS} connections), then saturation with wrk -t1 -c${SATURATION_CONNECTIONS} for ${MEASURE_S} s, where proxy CPU per request (user + system from /proc) and the tap events per request are taken. ` +
        `Ratios divide by the "${TAP_CLOSED}" row; a difference is within noise when it is no larger than the range of either row's rounds`,
      columns: [
        { key: 'requestsPerSecond', label: 'req/s at saturation', digits: 0 },
        { key: 'cpuUsPerRequest', label: 'proxy CPU µs per request', digits: 1 },
        { key: 'p50Ms', label: `p50 ms at ${LATENCY_RATE} req/s`, digits: 3 },
        { key: 'p99Ms', label: `p99 ms at ${LATENCY_RATE} req/s`, digits: 3 },
        { key: 'eventsPerRequestAtRate', label: `tap events read per request at ${LATENCY_RATE} req/s`, digits: 3 },
        { key: 'eventsPerRequest', label: 'tap events read per request at saturation', digits: 3 },
        { key: 'rateDroppedPerRequest', label: 'dropped per request: past max_rps', digits: 3 },
        { key: 'slowReaderDroppedPerRequest', label: 'dropped per request: slow reader', digits: 3 },
        { key: 'failed', label: 'failed', digits: 0 },
        { key: 'rpsVsClosed', label: 'req/s ÷ tap closed', digits: 2 },
        { key: 'cpuVsClosed', label: 'CPU per request ÷ tap closed', digits: 2 },
        { key: 'p99VsClosed', label: 'p99 ÷ tap closed', digits: 2 },
      ],
      headline: 'cpuUsPerRequest',
      lowerIsBetter: true,
      ratioTo: [],
    },
  ],
  derive: deriveTap,
};
