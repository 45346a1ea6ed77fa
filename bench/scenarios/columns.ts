// Columns shared by the HTTP/1 and gRPC tables: fixed-rate latency (with the latency added over the direct
// path) and saturation throughput (with CPU used per request, which the shared server core cannot distort).
import type { ConstantRateResult } from '../load/constant-rate-client';
import type { SaturationResult } from '../load/wrk';
import type { LoadUsage } from './usage';
import type { Column, MeasureContext, Table, Values } from './types';

export const LATENCY_COLUMNS: Column[] = [
  { key: 'p50Ms', label: 'p50 ms', digits: 3 },
  { key: 'p99Ms', label: 'p99 ms', digits: 3 },
  { key: 'p999Ms', label: 'p99.9 ms', digits: 2 },
  { key: 'addedP50Ms', label: 'added p50 ms', digits: 3 },
  { key: 'addedP99Ms', label: 'added p99 ms', digits: 3 },
  { key: 'achievedPerSecond', label: 'achieved req/s', digits: 0 },
  { key: 'failed', label: 'failed', digits: 0 },
  { key: 'proxyCpuS', label: 'proxy CPU s', digits: 2 },
];

export function latencyValues(ctx: MeasureContext, r: ConstantRateResult, usage: LoadUsage): Values {
  const hasProxy = ctx.path.proxies.length > 0;
  if (r.firstError !== undefined) ctx.note(`first failure: ${r.firstError}`);
  const values: Values = { p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms, achievedPerSecond: r.achievedPerSecond, failed: r.failed };
  if (hasProxy) values.proxyCpuS = usage.proxy.cpuSeconds;
  return values;
}

/** Latency each path adds over the direct path, measured at the same rate in the same run. */
export function deriveAddedLatency(table: Table): void {
  const direct = table.rows.find((r) => r.path === 'direct')?.values;
  if (direct?.p50Ms === undefined) return;
  for (const row of table.rows) {
    if (row.path === 'direct' || row.values.p50Ms === undefined) continue;
    row.values.addedP50Ms = row.values.p50Ms - direct.p50Ms;
    row.values.addedP99Ms = row.values.p99Ms - direct.p99Ms;
  }
}

export const SATURATION_COLUMNS: Column[] = [
  { key: 'requestsPerSecond', label: 'req/s', digits: 0 },
  { key: 'failed', label: 'failed', digits: 0 },
  { key: 'proxyCpuS', label: 'proxy CPU s', digits: 2 },
  { key: 'backendCpuS', label: 'backend CPU s', digits: 2 },
  { key: 'requestsPerCpuS', label: 'req per proxy CPU-s (direct: backend)', digits: 0 },
];

export function saturationValues(ctx: MeasureContext, r: SaturationResult, usage: LoadUsage): Values {
  const hasProxy = ctx.path.proxies.length > 0;
  const values: Values = { requestsPerSecond: r.requestsPerSecond, failed: r.failed, backendCpuS: usage.backend.cpuSeconds };
  const cpu = hasProxy ? usage.proxy.cpuSeconds : usage.backend.cpuSeconds;
  if (hasProxy) values.proxyCpuS = cpu;
  if (cpu > 0) values.requestsPerCpuS = r.requests / cpu;
  return values;
}
