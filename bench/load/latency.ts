// Percentiles of a latency sample, in milliseconds (nearest-rank).

export interface LatencySummary {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export function latencySummary(samplesUs: number[]): LatencySummary {
  const sorted = Float64Array.from(samplesUs).sort();
  const at = (q: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1000);
  return { p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), p999Ms: at(0.999), maxMs: at(1) };
}
