// Run lengths every scenario shares, and the constant-rate load they all use for latency. Each measurement
// is short and repeated in rounds that alternate between the paths, so that a burst of noise from other work
// on this shared machine lands on one sample of every path rather than on all samples of one path.
import type { ConstantRateOptions, ConstantRateResult } from '../load/constant-rate-client';
import { runNodeTool } from '../load/node-tool';
import { BENCH_AUTHORITY } from '../weft';
import type { MeasureContext } from './types';

export const WARMUP_MS = 500;
/** Whole seconds, because wrk and h2load take nothing finer. */
export const MEASURE_S = 3;
export const MEASURE_MS = MEASURE_S * 1000;
export const ROUNDS = 3;
/** wrk and h2load take whole seconds; saturation runs start with a discarded run this long to warm JITs. */
export const TOOL_WARMUP_S = 1;
export const POOL_CONNECTIONS = 16;
/**
 * Before a scenario's first measured step every path carries this much saturating load, untimed. A fresh Node
 * proxy spends its first seconds under load compiling: two mTLS hops cost 3.7 ms of CPU per request in their
 * first 2 s, 0.37 ms after 6 s and a steady ~0.28 ms from ~10 s on (wrk -c32, measured 2026-12-02). A pod's proxy
 * serves warm, so the tables compare warm processes; HAProxy and nginx get the same load.
 */
export const SCENARIO_WARMUP_S = 10;
export const WARMUP_METHOD = `every path first carried ${SCENARIO_WARMUP_S} s of saturating load, untimed (JIT warm-up)`;

export const RATE_METHOD = `bench/load/constant-rate-client (Node, wrk2-style: latency counts from each request's due time), ${WARMUP_MS / 1000} s warm-up then ${MEASURE_MS / 1000} s, median of ${ROUNDS} rounds`;

export function constantRate(ctx: MeasureContext, protocol: ConstantRateOptions['protocol'], ratePerSecond: number): Promise<ConstantRateResult> {
  const options: ConstantRateOptions = {
    protocol,
    port: ctx.path.port,
    authority: BENCH_AUTHORITY,
    ratePerSecond,
    warmupMs: WARMUP_MS,
    durationMs: MEASURE_MS,
    connections: POOL_CONNECTIONS,
  };
  return runNodeTool<ConstantRateResult>('bench/load/constant-rate-client', options, WARMUP_MS + MEASURE_MS + 15_000);
}
