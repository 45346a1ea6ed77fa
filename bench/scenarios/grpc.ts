// h2 / gRPC unary over cleartext h2 (prior knowledge): latency at 1k req/s and throughput at saturation.
import { runH2load } from '../load/h2load';
import { BENCH_AUTHORITY } from '../weft';
import { deriveAddedLatency, LATENCY_COLUMNS, latencyValues, SATURATION_COLUMNS, saturationValues } from './columns';
import { constantRate, MEASURE_S, RATE_METHOD, ROUNDS, SCENARIO_WARMUP_S, TOOL_WARMUP_S, WARMUP_METHOD } from './fixed-rate';
import type { MeasureContext, Scenario, Table } from './types';
import { withUsage } from './usage';

const LATENCY_RATE = 1000;
const CLIENTS = 4;
const STREAMS_PER_CLIENT = 32;

const h2load = (ctx: MeasureContext, durationS: number) =>
  runH2load({ port: ctx.path.port, authority: BENCH_AUTHORITY, grpc: true, clients: CLIENTS, streamsPerClient: STREAMS_PER_CLIENT, durationS, dir: ctx.dir });

async function saturate(ctx: MeasureContext) {
  await h2load(ctx, TOOL_WARMUP_S);
  const [result, usage] = await withUsage(ctx, () => h2load(ctx, MEASURE_S));
  return saturationValues(ctx, result, usage);
}

export const grpcScenario: Scenario = {
  id: 'grpc',
  name: 'h2 / gRPC unary',
  protocol: 'h2',
  backend: 'hello-h2',
  rounds: ROUNDS,
  warmUp: async (ctx) => void (await h2load(ctx, SCENARIO_WARMUP_S)),
  steps: [
    {
      tableId: 'grpc-latency',
      run: async (ctx) => {
        const [fixed, usage] = await withUsage(ctx, () => constantRate(ctx, 'grpc', LATENCY_RATE));
        return latencyValues(ctx, fixed, usage);
      },
    },
    { tableId: 'grpc-saturation', run: saturate },
  ],
  tables: [
    {
      id: 'grpc-latency',
      title: `gRPC unary latency at ${LATENCY_RATE} req/s`,
      method: `${RATE_METHOD}, one h2c session; proxy CPU includes the 0.5 s warm-up; ${WARMUP_METHOD}`,
      columns: LATENCY_COLUMNS,
      headline: 'p99Ms',
      lowerIsBetter: true,
    },
    {
      id: 'grpc-saturation',
      title: 'gRPC unary throughput at saturation',
      method: `h2load -c${CLIENTS} -m${STREAMS_PER_CLIENT} (gRPC POST, te: trailers), ${TOOL_WARMUP_S} s warm-up run then ${MEASURE_S} s, median of ${ROUNDS} rounds; backend: node:http2 server; ${WARMUP_METHOD}`,
      columns: SATURATION_COLUMNS,
      headline: 'requestsPerSecond',
      lowerIsBetter: false,
    },
  ],
  derive: (tables: Table[]) => tables.filter((t) => t.id === 'grpc-latency').forEach(deriveAddedLatency),
};
