// Failure accrual: an endpoint that fails 7 times in a row is taken out of the balancer. Once its backoff has
// passed (1 s, doubling up to 1 min) it is let back for one probe request: success puts it back in, failure
// takes it out again for twice as long.
import type { Clock } from '../../common/clock';

export const MAX_CONSECUTIVE_FAILURES = 7;
export const MIN_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 60_000;

type State = 'in' | 'out' | 'probing';

export class FailureAccrual {
  private state: State = 'in';
  private consecutiveFailures = 0;
  private backoffMs = MIN_BACKOFF_MS;
  private probeAt = 0;

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /** True when the endpoint may take a request now: it is in, or out and due for its probe. */
  available(): boolean {
    return this.state === 'in' || (this.state === 'out' && this.clock.now() >= this.probeAt);
  }

  /** True while the endpoint is out (or being probed). */
  get isOut(): boolean {
    return this.state !== 'in';
  }

  /** The balancer sent a request to the endpoint; when it was due for a probe, that request is the probe. */
  picked(): void {
    if (this.state === 'out') this.state = 'probing';
  }

  success(): void {
    this.consecutiveFailures = 0;
    if (this.state !== 'in') {
      this.state = 'in';
      this.backoffMs = MIN_BACKOFF_MS;
    }
  }

  failure(): void {
    this.consecutiveFailures++;
    if (this.state === 'probing') {
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      this.takeOut();
    } else if (this.state === 'in' && this.consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
      this.takeOut();
    }
  }

  /** The request ended without telling whether the endpoint works (e.g. the client left): probe again. */
  inconclusive(): void {
    if (this.state === 'probing') {
      this.state = 'out';
      this.probeAt = this.clock.now();
    }
  }

  private takeOut(): void {
    this.state = 'out';
    this.probeAt = this.clock.now() + this.backoffMs;
  }
}
