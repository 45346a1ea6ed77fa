// The local source's memory (CONTRACT.md "Local mode"): every few seconds, the series that views read from
// every proxy's /metrics, kept for the last hour. A range is answered from the snapshot at its start and the
// one at its end, as a counter's increase is the difference between the two.
import { fetchMetrics, Sample } from './exposition';
import { Labels, TimeRange, keyOf } from './source';
import { METRIC } from '../contract';

/** The families views read; everything else a proxy exports (Node's own metrics, …) is not kept. */
const KEPT = new Set<string>([
  METRIC.responseTotal,
  `${METRIC.responseLatencyMs}_bucket`,
  METRIC.tcpOpenTotal,
  METRIC.tcpOpenConnections,
]);
export const RETENTION_MS = 3_600_000;
const SCRAPE_TIMEOUT_MS = 2000;

export interface ScrapeTarget {
  /** The proxy's `/metrics` URL. */
  url: string;
  /** The proxy's own labels, added to each of its series: namespace, deployment, pod, identity. */
  labels: Labels;
}

export interface TargetSnapshot {
  labels: Labels;
  up: boolean;
  samples: Sample[];
}

export interface Snapshot {
  atMs: number;
  targets: TargetSnapshot[];
}

/** What answers for a range: the snapshots nearest its start and its end (undefined: nothing scraped yet). */
export interface SnapshotHistory {
  readonly description: string;
  pair(range: TimeRange): Promise<[Snapshot, Snapshot] | undefined>;
}

export async function scrape(targets: readonly ScrapeTarget[], now = Date.now()): Promise<Snapshot> {
  const scraped = await Promise.all(
    targets.map(async (target): Promise<TargetSnapshot> => {
      try {
        const samples = (await fetchMetrics(target.url, SCRAPE_TIMEOUT_MS)).filter((s) => KEPT.has(s.name));
        return { labels: target.labels, up: true, samples };
      } catch {
        return { labels: target.labels, up: false, samples: [] };
      }
    }),
  );
  return { atMs: now, targets: scraped };
}

/** Snapshots of the last hour, oldest first. */
export class SnapshotStore implements SnapshotHistory {
  private readonly snapshots: Snapshot[] = [];

  constructor(
    readonly description: string,
    private readonly retentionMs = RETENTION_MS,
  ) {}

  add(snapshot: Snapshot): void {
    this.snapshots.push(snapshot);
    while (this.snapshots.length > 2 && this.snapshots[0].atMs < snapshot.atMs - this.retentionMs) this.snapshots.shift();
  }

  /** The last snapshot taken at or before `ms`; the oldest one when all are later. */
  at(ms: number): Snapshot | undefined {
    let found = this.snapshots[0];
    for (const s of this.snapshots) {
      if (s.atMs > ms) break;
      found = s;
    }
    return found;
  }

  async pair(range: TimeRange): Promise<[Snapshot, Snapshot] | undefined> {
    const start = this.at(range.fromMs);
    const end = this.at(range.toMs);
    return start && end ? [start, end] : undefined;
  }
}

/** Scrapes `targets` every `intervalMs` into a store until stopped. */
export class Scraper {
  readonly store: SnapshotStore;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly targets: () => readonly ScrapeTarget[],
    private readonly intervalMs: number,
    description = `the proxies' own /metrics, scraped every ${intervalMs / 1000} s`,
  ) {
    this.store = new SnapshotStore(description);
  }

  start(): void {
    const tick = () => {
      this.running = scrape(this.targets()).then((s) => this.store.add(s));
      void this.running.finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

/**
 * For a CLI with no history to ask: two scrapes `gapMs` apart, whatever the range asked for; the description
 * says so, since a rate over a short sample is all the proxies' counters can give.
 */
export async function sampleNow(targets: readonly ScrapeTarget[], gapMs: number): Promise<SnapshotHistory> {
  const first = await scrape(targets);
  await new Promise((resolve) => setTimeout(resolve, gapMs));
  const second = await scrape(targets);
  return {
    description: `the proxies' own /metrics, sampled over ${gapMs / 1000} s (no history here: a demo's or Prometheus' gives longer windows)`,
    pair: async () => [first, second],
  };
}

/** A series' identity within its target: name and labels. */
export function seriesKey(sample: Sample): string {
  return `${sample.name}${keyOf(sample.labels)}`;
}
