// The metrics source over Prometheus' HTTP API: each question is one instant PromQL query, evaluated at the
// end of the range, over the series the proxies' scrape targets carry (CONTRACT.md "Metrics").
import { HttpTarget, httpGet } from './http-target';
import { Matchers, MetricsSource, Row, SourceUnavailable, TimeRange } from './source';

/** Prometheus' own label for whether a scrape worked; every proxy target has one `up` series. */
const UP = 'up';

interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** `{a="x",b="y"}`, label values escaped as PromQL strings. */
export function selector(match: Matchers): string {
  const parts = Object.entries(match).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** A range duration PromQL accepts: whole seconds, at least one. */
export function rangeSeconds(range: TimeRange): string {
  return `${Math.max(1, Math.round((range.toMs - range.fromMs) / 1000))}s`;
}

export class PrometheusSource implements MetricsSource {
  readonly description: string;

  constructor(
    private readonly target: HttpTarget,
    /** Only series of these scrape jobs count as proxies (its `up` series say which proxies exist). */
    private readonly match: Matchers = {},
  ) {
    this.description = target.label;
  }

  increase(metric: string, match: Matchers, by: readonly string[], range: TimeRange): Promise<Row[]> {
    return this.query(`sum by (${by.join(',')}) (increase(${metric}${selector({ ...this.match, ...match })}[${rangeSeconds(range)}]))`, range.toMs);
  }

  current(metric: string, match: Matchers, by: readonly string[], atMs: number): Promise<Row[]> {
    return this.query(`sum by (${by.join(',')}) (${metric}${selector({ ...this.match, ...match })})`, atMs);
  }

  async quantile(q: number, histogram: string, match: Matchers, by: readonly string[], range: TimeRange): Promise<Row[]> {
    const buckets = `increase(${histogram}_bucket${selector({ ...this.match, ...match })}[${rangeSeconds(range)}])`;
    const rows = await this.query(`histogram_quantile(${q}, sum by (${['le', ...by].join(',')}) (${buckets}))`, range.toMs);
    return rows.filter((row) => !Number.isNaN(row.value));
  }

  targets(atMs: number): Promise<Row[]> {
    return this.query(`${UP}${selector(this.match)}`, atMs);
  }

  /** One instant query; the error names Prometheus' URL, and what it said when it refused the query. */
  async query(promql: string, atMs: number): Promise<Row[]> {
    const path = `/api/v1/query?query=${encodeURIComponent(promql)}&time=${(atMs / 1000).toFixed(3)}`;
    const answer = await httpGet(this.target, path);
    let parsed: QueryAnswer;
    try {
      parsed = JSON.parse(answer.body) as QueryAnswer;
    } catch {
      throw new SourceUnavailable(`${this.target.label} answered ${answer.status} with something other than Prometheus JSON: ${answer.body.slice(0, 120).trim()}`);
    }
    if (parsed.status !== 'success' || parsed.data?.resultType !== 'vector') {
      throw new SourceUnavailable(`${this.target.label} refused ${promql}: ${parsed.error ?? `status ${answer.status}`}`);
    }
    return parsed.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }
}
