// The retry budget, shared by every request through the proxy: over the last 10 s, retries may add at most
// 20 % to the requests, plus 10 per second so that a quiet proxy can still retry. It is what keeps an outage
// from being multiplied by the retry limit into a retry storm.
import type { Clock } from '../../common/clock';

export const BUDGET_RATIO = 0.2;
export const BUDGET_MIN_PER_SECOND = 10;
export const BUDGET_WINDOW_MS = 10_000;
const BUCKETS = 10;
const BUCKET_MS = BUDGET_WINDOW_MS / BUCKETS;

export class RetryBudget {
  // A ring of per-second counts; `epoch` is the bucket number (time / BUCKET_MS) the newest slot holds.
  private readonly requests = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);
  private epoch = 0;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly ratio = BUDGET_RATIO,
    private readonly minPerSecond = BUDGET_MIN_PER_SECOND,
  ) {}

  /** Counts an original request (not a retry): it earns the budget its share. */
  deposit(): void {
    this.requests[this.advance()]++;
  }

  /** Takes one retry from the budget; false when it is spent. */
  withdraw(): boolean {
    const slot = this.advance();
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      requests += this.requests[i];
      retries += this.retries[i];
    }
    if (retries + 1 > requests * this.ratio + (this.minPerSecond * BUDGET_WINDOW_MS) / 1000) return false;
    this.retries[slot]++;
    return true;
  }

  /** Clears the buckets that fell out of the window and returns the current one. */
  private advance(): number {
    const now = Math.floor(this.clock.now() / BUCKET_MS);
    const stale = Math.min(now - this.epoch, BUCKETS);
    for (let i = 1; i <= stale; i++) {
      const slot = (this.epoch + i) % BUCKETS;
      this.requests[slot] = 0;
      this.retries[slot] = 0;
    }
    if (stale > 0) this.epoch = now;
    return now % BUCKETS;
  }
}
