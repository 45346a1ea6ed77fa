// What the balancer knows about one endpoint: its latency estimate, the requests it has pending, and whether
// failure accrual has taken it out. A Lease is one request's hold on an endpoint; the request reports back
// through it exactly once per step, so pending counts cannot drift.
import type { Clock } from '../../common/clock';
import type { Endpoint } from '../discovery/types';
import { FailureAccrual } from './failure-accrual';
import { PeakEwma } from './peak-ewma';

export class EndpointLoad {
  pending = 0;
  readonly latency: PeakEwma;
  readonly accrual: FailureAccrual;

  constructor(
    /** Replaced when discovery sends a new object for the same address. */
    public endpoint: Endpoint,
    readonly clock: Pick<Clock, 'now'>,
  ) {
    this.latency = new PeakEwma(clock);
    this.accrual = new FailureAccrual(clock);
  }

  cost(): number {
    return this.latency.cost(this.pending);
  }

  lease(): Lease {
    this.pending++;
    this.accrual.picked();
    return new Lease(this);
  }
}

export class Lease {
  private readonly startedAt: number;
  private responded = false;
  private finished = false;

  constructor(readonly load: EndpointLoad) {
    this.startedAt = load.clock.now();
  }

  get endpoint(): Endpoint {
    return this.load.endpoint;
  }

  /** The response's headers arrived: a latency sample, and the request no longer counts as pending. */
  responseStarted(): void {
    if (this.responded || this.finished) return;
    this.responded = true;
    this.load.pending--;
    this.load.latency.observe(this.load.clock.now() - this.startedAt);
  }

  /** How the request went for failure accrual: true, false, or undefined when it cannot tell (cancelled). */
  finish(success: boolean | undefined): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.responded) this.load.pending--;
    if (success === true) this.load.accrual.success();
    else if (success === false) this.load.accrual.failure();
    else this.load.accrual.inconclusive();
  }
}
