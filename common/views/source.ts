// What every view (weft stat, edges, top, the dashboard) asks of the mesh's metrics, in four questions, so
// that one view works the same over Prometheus and over the proxies' own /metrics (CONTRACT.md "Local mode").

export type Labels = Record<string, string>;

/** A time range in milliseconds since the epoch; a "-t 1m" window is [now - 1m, now]. */
export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** Equality matchers on labels: `{ direction: 'inbound' }` is `{direction="inbound"}`. */
export type Matchers = Readonly<Labels>;

/** One group of a `sum by (…)`: its labels (only those grouped by) and its value. */
export interface Row {
  labels: Labels;
  value: number;
}

/**
 * Every series carries its proxy's labels as well as its own: `namespace`, `deployment`, `pod` (Prometheus
 * adds them from its scrape targets, the local source from the targets it scrapes) and, where known,
 * `identity` (the proxy's identity name).
 */
export interface MetricsSource {
  /** Says which source answers, e.g. "Prometheus at http://127.0.0.1:9090". */
  readonly description: string;
  /** `sum by (by) (increase(metric{match}[range]))` at the end of the range. */
  increase(metric: string, match: Matchers, by: readonly string[], range: TimeRange): Promise<Row[]>;
  /** `sum by (by) (metric{match})` at `atMs`: for gauges. */
  current(metric: string, match: Matchers, by: readonly string[], atMs: number): Promise<Row[]>;
  /** `histogram_quantile(q, sum by (le, by) (increase(histogram_bucket{match}[range])))`; NaN groups left out. */
  quantile(q: number, histogram: string, match: Matchers, by: readonly string[], range: TimeRange): Promise<Row[]>;
  /** The proxies known at `atMs`, one row each with all their labels: value 1 when its /metrics answered, else 0. */
  targets(atMs: number): Promise<Row[]>;
}

/** A source that cannot answer (Prometheus down, a proxy unreachable): the message names where it looked. */
export class SourceUnavailable extends Error {
  override name = 'SourceUnavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The labels of `labels` named in `by`, for grouping. */
export function pick(labels: Labels, by: readonly string[]): Labels {
  const picked: Labels = {};
  for (const name of by) picked[name] = labels[name] ?? '';
  return picked;
}

export function matches(labels: Labels, match: Matchers): boolean {
  for (const name in match) if ((labels[name] ?? '') !== match[name]) return false;
  return true;
}

/** A stable key for a label set. */
export function keyOf(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((name) => [name, labels[name]]));
}
