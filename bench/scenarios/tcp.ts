// Opaque TCP echo: ping-pong latency on one connection, and round-trip throughput over many.
import type { EchoOptions, EchoResult } from '../load/tcp-echo-client';
import { runNodeTool } from '../load/node-tool';
import { MEASURE_MS, ROUNDS, WARMUP_MS } from './fixed-rate';
import type { Column, MeasureContext, Scenario, Step } from './types';
import { withUsage } from './usage';

const MESSAGE_BYTES = 64;
const LATENCY_CONNECTIONS = 1;
const THROUGHPUT_CONNECTIONS = 16;

function echo(ctx: MeasureContext, connections: number): Promise<EchoResult> {
  const options: EchoOptions = { port: ctx.path.port, connections, messageBytes: MESSAGE_BYTES, warmupMs: WARMUP_MS, durationMs: MEASURE_MS };
  return runNodeTool<EchoResult>('bench/load/tcp-echo-client', options, WARMUP_MS + MEASURE_MS + 15_000);
}

function echoStep(tableId: string, connections: number): Step {
  return {
    tableId,
    run: async (ctx) => {
      const [result, usage] = await withUsage(ctx, () => echo(ctx, connections));
      if (result.firstError !== undefined) ctx.note(`first error: ${result.firstError}`);
      return {
        roundTripsPerSecond: result.roundTripsPerSecond,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
        errors: result.errors,
        ...(ctx.path.proxies.length > 0 ? { proxyCpuS: usage.proxy.cpuSeconds } : {}),
      };
    },
  };
}

const COLUMNS: Column[] = [
  { key: 'roundTripsPerSecond', label: 'round trips/s', digits: 0 },
  { key: 'p50Ms', label: 'p50 ms', digits: 3 },
  { key: 'p99Ms', label: 'p99 ms', digits: 3 },
  { key: 'errors', label: 'errors', digits: 0 },
  { key: 'proxyCpuS', label: 'proxy CPU s', digits: 2 },
];

const METHOD = `bench/load/tcp-echo-client (Node): ${MESSAGE_BYTES}-byte message, wait for the whole echo, send the next; ${WARMUP_MS / 1000} s warm-up then ${MEASURE_MS / 1000} s, median of ${ROUNDS} rounds; weft: inbound port with the app port marked opaque`;

export const tcpScenario: Scenario = {
  id: 'tcp',
  name: 'Opaque TCP echo',
  protocol: 'tcp',
  backend: 'tcp-echo',
  rounds: ROUNDS,
  steps: [echoStep('tcp-latency', LATENCY_CONNECTIONS), echoStep('tcp-throughput', THROUGHPUT_CONNECTIONS)],
  tables: [
    { id: 'tcp-latency', title: 'Opaque TCP ping-pong, 1 connection', method: METHOD, columns: COLUMNS, headline: 'p99Ms', lowerIsBetter: true },
    {
      id: 'tcp-throughput',
      title: `Opaque TCP ping-pong, ${THROUGHPUT_CONNECTIONS} connections`,
      method: METHOD,
      columns: COLUMNS,
      headline: 'roundTripsPerSecond',
      lowerIsBetter: false,
    },
  ],
};
