// Rapid reset (CVE-2023-44487): a client opens streams and cancels them at once, over and over, so the proxy
// keeps starting work that nobody waits for. Node 20's http2 has no option against it, so each session keeps
// a token bucket of the resets its client may make: a reset costs a token, tokens come back at a steady rate,
// and a client that runs out gets GOAWAY ENHANCE_YOUR_CALM, as Envoy does (proxy/http/h2-session.ts).
import type { Clock } from '../../common/clock';

export interface ResetRate {
  /** Resets a client may make at once, e.g. cancelling a batch of calls. */
  burst: number;
  /** Tokens that come back each second. */
  perSecond: number;
}

export class ResetBudget {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: ResetRate,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    this.tokens = rate.burst;
    this.updatedAt = clock.now();
  }

  /** Spends one reset; false once the client has reset streams faster than the rate allows. */
  spend(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate.perSecond);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
