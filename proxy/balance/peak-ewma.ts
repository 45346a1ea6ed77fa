// Peak-EWMA latency estimate of one endpoint, as tower/linkerd2-proxy keep it: a sample above the estimate
// replaces it at once (so a slowdown is seen on its first slow response), lower samples pull it down slowly,
// and between samples it decays towards zero (so an endpoint that was slow gets tried again eventually).
import Ewma from 'ewma';
import type { Clock } from '../../common/clock';

/** What a new endpoint is assumed to take until it has answered: 30 ms, Linkerd's default. */
export const DEFAULT_LATENCY_MS = 30;
/** Linkerd's decay time constant τ: an old estimate weighs e^(-t/τ) after t. */
export const DECAY_MS = 10_000;
// The ewma package takes a half-life (weight 2^(-t/h)); e^(-t/τ) = 2^(-t/(τ·ln 2)).
const HALF_LIFE_MS = DECAY_MS * Math.LN2;

export class PeakEwma {
  private readonly ewma: ReturnType<typeof Ewma>;

  constructor(clock: Pick<Clock, 'now'>, initialMs = DEFAULT_LATENCY_MS) {
    this.ewma = new Ewma(HALF_LIFE_MS, initialMs, clock);
  }

  /** Records how long a response took (to its headers). */
  observe(latencyMs: number): void {
    if (latencyMs > this.ewma.value()) this.ewma.reset(latencyMs);
    else this.ewma.insert(latencyMs);
  }

  /** The estimate now, decayed for the time since the last update. */
  estimate(): number {
    this.ewma.insert(0);
    return this.ewma.value();
  }

  /** P2C's cost: expected latency scaled by the requests already waiting on this endpoint. */
  cost(pending: number): number {
    return this.estimate() * (pending + 1);
  }
}
