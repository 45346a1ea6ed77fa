// event_loop_delay_seconds (CONTRACT.md "Metrics"): how late the event loop ran a timer, as a histogram, so a
// latency tail can be told from CPU work. perf_hooks.monitorEventLoopDelay samples in native code (one timer
// every RESOLUTION_MS, no JavaScript per sample, fixed memory); a scrape reads the bucket counts off it, at a
// cost of O(buckets) however long it has been since the last one. It is never reset: the first sample after a
// reset is dropped by Node, and that would be the stall of the scrape itself.
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Histogram, Registry } from 'prom-client';
import { METRIC } from '../../common/contract';

/** Coarse enough to cost nothing measurable, fine enough to see a 10 ms stall. */
export const RESOLUTION_MS = 10;
export const EVENT_LOOP_DELAY_BUCKETS_S: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface ExportedHistogram {
  values: { value: number; metricName?: string; labels: { le?: string | number } }[];
}

const NS_PER_S = 1e9;
/** Steps of the search for a bucket bound's rank among the samples: 100 / 2^24 % precision. */
const RANK_SEARCH_STEPS = 24;

export class EventLoopDelayHistogram extends Histogram {
  private readonly monitor: IntervalHistogram;
  /** Counts of samples at or under each bucket bound, in EVENT_LOOP_DELAY_BUCKETS_S order, as last exported. */
  private readonly atOrUnder = EVENT_LOOP_DELAY_BUCKETS_S.map(() => 0);
  private samples = 0;
  private sumS = 0;

  constructor(registry: Registry) {
    super({
      name: METRIC.eventLoopDelaySeconds,
      help: `How late the event loop ran a timer due every ${RESOLUTION_MS} ms, in seconds`,
      buckets: [...EVENT_LOOP_DELAY_BUCKETS_S],
      registers: [registry],
    });
    this.monitor = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.monitor.enable();
  }

  /**
   * What the registry reads on a scrape (get() reads it too): prom-client's own output for this histogram, with
   * our counts in it, since prom-client has no way to add a count of samples to a bucket.
   */
  async getForPromString(): Promise<ExportedHistogram> {
    this.read();
    const object = await (Histogram.prototype as unknown as { getForPromString(this: Histogram): Promise<ExportedHistogram> }).getForPromString.call(this);
    for (const value of object.values) value.value = this.valueFor(value.metricName, value.labels.le);
    return object;
  }

  stop(): void {
    this.monitor.disable();
  }

  /**
   * Reads the counts off the native histogram. Bucket counts come from its percentiles, to its precision; each
   * is kept from going down, as a Prometheus counter must not.
   */
  private read(): void {
    const n = this.monitor.count;
    if (n === this.samples) return;
    EVENT_LOOP_DELAY_BUCKETS_S.forEach((bound, i) => (this.atOrUnder[i] = Math.max(this.atOrUnder[i], Math.round(n * this.shareAtOrUnder(bound)))));
    this.samples = n;
    this.sumS = Math.max(this.sumS, n * (this.monitor.mean / NS_PER_S - RESOLUTION_MS / 1000));
  }

  /**
   * The share of samples whose delay is at most `boundS`. A sample is the time between two runs of the
   * monitor's timer, so the delay is that minus the resolution. Bisection over percentile(), which is exact
   * to the native histogram's precision.
   */
  private shareAtOrUnder(boundS: number): number {
    const boundNs = (boundS + RESOLUTION_MS / 1000) * NS_PER_S;
    if (this.monitor.min > boundNs) return 0;
    if (this.monitor.max <= boundNs) return 1;
    let low = 0;
    let high = 100;
    for (let i = 0; i < RANK_SEARCH_STEPS; i++) {
      const mid = (low + high) / 2;
      if (this.monitor.percentile(mid) <= boundNs) low = mid;
      else high = mid;
    }
    return low / 100;
  }

  private valueFor(metricName: string | undefined, le: string | number | undefined): number {
    if (metricName === `${METRIC.eventLoopDelaySeconds}_sum`) return this.sumS;
    if (metricName === `${METRIC.eventLoopDelaySeconds}_count` || le === '+Inf') return this.samples;
    const i = EVENT_LOOP_DELAY_BUCKETS_S.indexOf(Number(le));
    return i < 0 ? 0 : this.atOrUnder[i];
  }
}
