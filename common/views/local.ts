// The metrics source over the proxies' own /metrics (CONTRACT.md "Local mode"): the same four questions as
// Prometheus answers, computed from the snapshots at the start and the end of the range. A counter's increase
// is its value at the end minus its value at the start (a counter that went down was reset: its value at the
// end is all of the increase); a series that appeared meanwhile counts from zero.
import type { Sample } from './exposition';
import { histogramQuantile } from './quantile';
import { type Snapshot, type SnapshotHistory, seriesKey } from './snapshots';
import { Labels, Matchers, MetricsSource, Row, TimeRange, keyOf, matches, pick } from './source';

interface Increase {
  labels: Labels;
  value: number;
}

export class LocalSource implements MetricsSource {
  readonly description: string;

  constructor(private readonly history: SnapshotHistory) {
    this.description = history.description;
  }

  async increase(metric: string, match: Matchers, by: readonly string[], range: TimeRange): Promise<Row[]> {
    return sumBy(await this.increases(metric, match, range), by);
  }

  async current(metric: string, match: Matchers, by: readonly string[], atMs: number): Promise<Row[]> {
    const pair = await this.history.pair({ fromMs: atMs, toMs: atMs });
    if (!pair) return [];
    const series = pair[1].targets.flatMap((t) => t.samples.filter((s) => s.name === metric).map((s) => ({ labels: { ...s.labels, ...t.labels }, value: s.value })));
    return sumBy(series.filter((s) => matches(s.labels, match)), by);
  }

  async quantile(q: number, histogram: string, match: Matchers, by: readonly string[], range: TimeRange): Promise<Row[]> {
    const groups = new Map<string, { labels: Labels; buckets: Map<number, number> }>();
    for (const { labels, value } of await this.increases(`${histogram}_bucket`, match, range)) {
      const picked = pick(labels, by);
      const key = keyOf(picked);
      const group = groups.get(key) ?? { labels: picked, buckets: new Map<number, number>() };
      groups.set(key, group);
      const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
      group.buckets.set(le, (group.buckets.get(le) ?? 0) + value);
    }
    const rows: Row[] = [];
    for (const { labels, buckets } of groups.values()) {
      const value = histogramQuantile(q, [...buckets].map(([le, count]) => ({ le, count })));
      if (!Number.isNaN(value)) rows.push({ labels, value });
    }
    return rows;
  }

  async targets(atMs: number): Promise<Row[]> {
    const pair = await this.history.pair({ fromMs: atMs, toMs: atMs });
    return pair ? pair[1].targets.map((t) => ({ labels: t.labels, value: t.up ? 1 : 0 })) : [];
  }

  /** Each matching series' increase over the range, labelled with its own and its proxy's labels. */
  private async increases(metric: string, match: Matchers, range: TimeRange): Promise<Increase[]> {
    const pair = await this.history.pair(range);
    if (!pair || pair[0].atMs >= pair[1].atMs) return [];
    const [start, end] = pair;
    const before = startValues(start);
    const out: Increase[] = [];
    for (const target of end.targets) {
      const targetKey = keyOf(target.labels);
      for (const sample of target.samples) {
        if (sample.name !== metric) continue;
        const labels = { ...sample.labels, ...target.labels };
        if (!matches(labels, match)) continue;
        const was = before.get(targetKey)?.get(seriesKey(sample)) ?? 0;
        out.push({ labels, value: sample.value >= was ? sample.value - was : sample.value });
      }
    }
    return out;
  }
}

function startValues(snapshot: Snapshot): Map<string, Map<string, number>> {
  const byTarget = new Map<string, Map<string, number>>();
  for (const target of snapshot.targets) byTarget.set(keyOf(target.labels), new Map(target.samples.map((s: Sample) => [seriesKey(s), s.value])));
  return byTarget;
}

function sumBy(series: readonly Row[], by: readonly string[]): Row[] {
  const groups = new Map<string, Row>();
  for (const s of series) {
    const labels = pick(s.labels, by);
    const key = keyOf(labels);
    const group = groups.get(key);
    if (group) group.value += s.value;
    else groups.set(key, { labels, value: s.value });
  }
  return [...groups.values()];
}
