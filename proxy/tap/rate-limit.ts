// A tap's bounded rate: a token bucket of `perSecond` tokens, refilled continuously, holding at most one
// second's worth, so a burst after a quiet spell is bounded too. The clock comes from outside (tests drive it).
export class RateLimit {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = perSecond;
    this.last = now();
  }

  /** True when one more event fits now (and takes its token). */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
