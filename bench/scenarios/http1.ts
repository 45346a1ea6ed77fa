// HTTP/1.1 small requests (the Node hello world backend): memory idle and at 4k req/s, latency at 1k req/s,
// and throughput at saturation.
import { runWrk } from '../load/wrk';
import { processTree, rssBytes, UsageSampler } from '../proc-stats';
import { BENCH_AUTHORITY } from '../weft';
import { deriveAddedLatency, LATENCY_COLUMNS, latencyValues, SATURATION_COLUMNS, saturationValues } from './columns';
import { constantRate, MEASURE_S, POOL_CONNECTIONS, RATE_METHOD, ROUNDS, SCENARIO_WARMUP_S, TOOL_WARMUP_S, WARMUP_METHOD } from './fixed-rate';
import type { MeasureContext, Scenario, Table } from './types';
import { MB, proxyPids, withUsage } from './usage';

const LATENCY_RATE = 1000;
const MEMORY_RATE = 4000;
export const SATURATION_CONNECTIONS = 32;

/** Each proxy of the path on its own (a two-hop path has two): targets hold per proxy. */
function eachProxy(ctx: MeasureContext): number[][] {
  return ctx.path.proxies.map((p) => processTree(p.pid));
}

/** The scenarios' warm-up for HTTP/1.1 paths (fixed-rate.ts says why). */
export async function warmUpHttp1(ctx: MeasureContext): Promise<void> {
  await runWrk(ctx.path.port, BENCH_AUTHORITY, SATURATION_CONNECTIONS, SCENARIO_WARMUP_S);
}

async function saturate(ctx: MeasureContext) {
  await runWrk(ctx.path.port, BENCH_AUTHORITY, SATURATION_CONNECTIONS, TOOL_WARMUP_S);
  const [result, usage] = await withUsage(ctx, () => runWrk(ctx.path.port, BENCH_AUTHORITY, SATURATION_CONNECTIONS, MEASURE_S));
  return saturationValues(ctx, result, usage);
}

export const http1Scenario: Scenario = {
  id: 'http1',
  name: 'HTTP/1.1 small requests',
  protocol: 'http1',
  backend: 'hello-http1',
  rounds: ROUNDS,
  warmUp: warmUpHttp1,
  steps: [
    {
      tableId: 'memory',
      once: true,
      proxiesOnly: true,
      beforeWarmUp: true,
      run: async (ctx) => ({ idleRssMB: rssBytes(proxyPids(ctx)) / MB, idleRssMaxMB: Math.max(...eachProxy(ctx).map(rssBytes)) / MB }),
    },
    {
      tableId: 'memory',
      proxiesOnly: true,
      run: async (ctx) => {
        const samplers = eachProxy(ctx).map((pids) => new UsageSampler(pids));
        let peaks: number[] = [];
        const [loaded, usage] = await withUsage(ctx, () => constantRate(ctx, 'http1', MEMORY_RATE)).finally(() => (peaks = samplers.map((s) => s.stop().peakRssBytes)));
        if (loaded.firstError !== undefined) ctx.note(`first failure: ${loaded.firstError}`);
        return { loadedRssMB: usage.proxy.peakRssBytes / MB, loadedRssMaxMB: Math.max(...peaks) / MB, loadedP99Ms: loaded.p99Ms, loadedFailed: loaded.failed };
      },
    },
    {
      tableId: 'http1-latency',
      run: async (ctx) => {
        const [fixed, usage] = await withUsage(ctx, () => constantRate(ctx, 'http1', LATENCY_RATE));
        return latencyValues(ctx, fixed, usage);
      },
    },
    { tableId: 'http1-saturation', run: saturate },
  ],
  tables: [
    {
      id: 'http1-latency',
      title: `HTTP/1.1 latency at ${LATENCY_RATE} req/s`,
      method: `${RATE_METHOD}, ${POOL_CONNECTIONS} keep-alive connections; proxy CPU includes the 0.5 s warm-up; ${WARMUP_METHOD}`,
      columns: LATENCY_COLUMNS,
      headline: 'p99Ms',
      lowerIsBetter: true,
    },
    {
      id: 'http1-saturation',
      title: 'HTTP/1.1 throughput at saturation',
      method: `wrk -t1 -c${SATURATION_CONNECTIONS}, ${TOOL_WARMUP_S} s warm-up run then ${MEASURE_S} s, median of ${ROUNDS} rounds; direct = Node hello world alone on the server core; ${WARMUP_METHOD}`,
      columns: SATURATION_COLUMNS,
      headline: 'requestsPerSecond',
      lowerIsBetter: false,
    },
    {
      id: 'memory',
      title: 'Proxy memory (RSS), HTTP/1.1',
      method: `VmRSS of the proxy processes (summed for 2 hops, and the larger of the two alone): idle = after start-up and 1 s of rest, before any request; loaded = peak while offered ${MEMORY_RATE} req/s (${RATE_METHOD}, ${POOL_CONNECTIONS} connections), after the scenario's warm-up (${WARMUP_METHOD})`,
      columns: [
        { key: 'idleRssMB', label: 'idle RSS MB', digits: 1 },
        { key: 'idleRssMaxMB', label: 'idle RSS MB, largest proxy', digits: 1 },
        { key: 'loadedRssMB', label: `RSS MB at ${MEMORY_RATE / 1000}k req/s`, digits: 1 },
        { key: 'loadedRssMaxMB', label: `RSS MB at ${MEMORY_RATE / 1000}k req/s, largest proxy`, digits: 1 },
        { key: 'loadedP99Ms', label: `p99 ms at ${MEMORY_RATE / 1000}k req/s`, digits: 3 },
        { key: 'loadedFailed', label: 'failed', digits: 0 },
      ],
      headline: 'loadedRssMB',
      lowerIsBetter: true,
    },
  ],
  derive: (tables: Table[]) => tables.filter((t) => t.id === 'http1-latency').forEach(deriveAddedLatency),
};
