// Balancing for one service: the endpoints discovery gives it now, P2C over their loads, and the queue of
// requests waiting while none is available. At most 100 wait (more are shed with 503 load-shed); one that
// waits 3 s puts the service in fail-fast, where requests get 503 fail-fast at once until an endpoint is back.
import type { Clock } from '../../common/clock';
import type { Endpoint, Service } from '../discovery/types';
import { ProxyError } from '../http/errors';
import { EndpointLoad, Lease } from './endpoint-load';
import { pickP2C, Random } from './p2c';

export const MAX_QUEUED = 100;
export const FAIL_FAST_AFTER_MS = 3_000;
/**
 * Discovery updates a Service in place without telling anyone, and failure accrual lets endpoints back in by
 * time alone, so waiting requests look again this often.
 */
export const QUEUE_POLL_MS = 50;

export type Grant = (lease: Lease | ProxyError) => void;

interface Waiter {
  grant: Grant;
  deadline: number;
  avoid?: EndpointLoad;
}

export class ServiceBalancer {
  private loads: EndpointLoad[] = [];
  private syncedFrom?: readonly Endpoint[];
  private readonly waiters: Waiter[] = [];
  private pollTimer?: NodeJS.Timeout;
  private failingFast = false;

  constructor(
    private readonly service: Service,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /**
   * Calls `grant` with a lease on an endpoint, at once when one is available, else once one is (or with the
   * fail-fast / load-shed error). Returns a function that withdraws a request still waiting.
   */
  acquire(grant: Grant, avoid?: Lease): () => void {
    const load = this.pick(avoid?.load);
    if (load) {
      this.failingFast = false;
      grant(load.lease());
      return noop;
    }
    if (this.failingFast) {
      grant(this.failFastError());
      return noop;
    }
    if (this.waiters.length >= MAX_QUEUED) {
      grant(new ProxyError('load-shed', `${MAX_QUEUED} requests to ${this.service.authority} are already waiting for an endpoint; shedding load`));
      return noop;
    }
    const waiter: Waiter = { grant, deadline: this.clock.now() + FAIL_FAST_AFTER_MS, avoid: avoid?.load };
    this.waiters.push(waiter);
    this.schedulePoll();
    return () => this.withdraw(waiter);
  }

  /** An endpoint for a connection-level path (CONNECT, opaque TCP), with no lease: bytes have no responses. */
  pickNow(): Endpoint | undefined {
    return this.pick(undefined)?.endpoint;
  }

  /** The current loads, for tests and diagnostics. */
  get endpointLoads(): readonly EndpointLoad[] {
    this.sync();
    return this.loads;
  }

  private pick(avoid: EndpointLoad | undefined): EndpointLoad | undefined {
    this.sync();
    return pickP2C(this.loads, this.random, avoid);
  }

  /**
   * Follows discovery, which replaces a service's endpoint list on every change (discovery/types.ts): keeps each
   * address's load (by key) across updates so its estimate survives. Requests in flight to an endpoint that
   * left keep their lease and finish normally; the endpoint is just no longer drawn.
   */
  private sync(): void {
    const endpoints = this.service.endpoints;
    if (endpoints === this.syncedFrom) return;
    const previous = new Map(this.loads.map((l) => [l.endpoint.key, l]));
    this.loads = endpoints.map((endpoint) => {
      const load = previous.get(endpoint.key);
      if (!load) return new EndpointLoad(endpoint, this.clock);
      load.endpoint = endpoint;
      return load;
    });
    this.syncedFrom = endpoints;
  }

  private schedulePoll(): void {
    if (this.pollTimer === undefined) this.pollTimer = this.clock.setTimeout(() => this.poll(), QUEUE_POLL_MS);
  }

  private poll(): void {
    this.pollTimer = undefined;
    const now = this.clock.now();
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0];
      const load = this.pick(waiter.avoid);
      if (load) {
        this.waiters.shift();
        this.failingFast = false;
        waiter.grant(load.lease());
      } else if (waiter.deadline <= now) {
        // The oldest waited its 3 s: everyone waiting gets fail-fast, and so does whoever comes next.
        this.failingFast = true;
        for (const w of this.waiters.splice(0)) w.grant(this.failFastError());
      } else {
        break;
      }
    }
    if (this.waiters.length > 0) this.schedulePoll();
  }

  private withdraw(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
    if (this.waiters.length === 0 && this.pollTimer !== undefined) {
      this.clock.clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  private failFastError(): ProxyError {
    const state = this.loads.length === 0 ? 'has no endpoints' : `has no available endpoint (${this.loads.length} taken out after failing)`;
    return new ProxyError('fail-fast', `service ${this.service.authority} ${state} for ${FAIL_FAST_AFTER_MS / 1000}s; failing fast`);
  }
}

function noop(): void {}
