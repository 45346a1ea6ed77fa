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
/** A fresh Node proxy spends its first seconds compiling (3–8× the CPU per request of a warm one, measured on
 *  two mTLS hops), and a constant-rate run counts every request from its due time, so a cold start turned the
 *  4k step into a backlog that never drained. A pod's proxy serves warm; so does HAProxy, which gets the same. */
export const JIT_WARMUP_S = 2;

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
