// `weft top`'s rows: the busiest paths from a workload to an authority within the range, from each caller's
// outbound side (proxies count no per-request path: a per-path view needs tap).
import { METRIC, PROXY_TARGET_LABEL as T } from '../contract';
import { Labels, MetricsSource, TimeRange, keyOf } from './source';

export interface PathRow {
  namespace: string;
  /** The calling deployment (its pod when it has no deployment label). */
  src: string;
  authority: string;
  rps: number;
  successRate?: number;
  latencyMs: { p50?: number; p99?: number };
}

const BY = [T.namespace, T.deployment, T.pod, 'authority'];

export async function busiestPaths(source: MetricsSource, range: TimeRange, limit: number): Promise<PathRow[]> {
  const outbound = { direction: 'outbound' };
  const [responses, successes, p50, p99] = await Promise.all([
    source.increase(METRIC.responseTotal, outbound, BY, range),
    source.increase(METRIC.responseTotal, { ...outbound, classification: 'success' }, BY, range),
    source.quantile(0.5, METRIC.responseLatencyMs, outbound, BY, range),
    source.quantile(0.99, METRIC.responseLatencyMs, outbound, BY, range),
  ]);
  const seconds = (range.toMs - range.fromMs) / 1000;
  const valueOf = (rows: { labels: Labels; value: number }[]) => new Map(rows.map((r) => [keyOf(r.labels), r.value]));
  const [ok, fast, slow] = [valueOf(successes), valueOf(p50), valueOf(p99)];
  return responses
    .filter((r) => r.value > 0)
    .map((r): PathRow => {
      const key = keyOf(r.labels);
      return {
        namespace: r.labels[T.namespace] ?? '',
        src: r.labels[T.deployment] || r.labels[T.pod] || '-',
        authority: r.labels.authority ?? '',
        rps: r.value / seconds,
        successRate: (ok.get(key) ?? 0) / r.value,
        latencyMs: { p50: fast.get(key), p99: slow.get(key) },
      };
    })
    .sort((a, b) => b.rps - a.rps || a.src.localeCompare(b.src))
    .slice(0, limit);
}
