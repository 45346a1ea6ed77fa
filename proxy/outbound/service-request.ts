// One request to a service discovery knows: balance → retry/timeout → endpoint. It asks the balancer for an
// endpoint (waiting in its queue if need be), sends a try, and on a retryable outcome tries again on another
// endpoint while the policy's limit, the body (≤ 64 KiB), the deadline and the proxy's retry budget allow.
// Deadline: the service's `timeout`, or the call's own `grpc-timeout` when sooner (passed on as what is left).
import type { Clock } from '../../common/clock';
import type { Balancer } from '../balance/balancer';
import type { Lease } from '../balance/endpoint-load';
import type { Service } from '../discovery/types';
import { ProxyError } from '../http/errors';
import type { ProxyRequest } from '../http/request';
import type { ResponseSink } from '../http/sink';
import type { TargetCache } from '../http/targets';
import type { Upstreams } from '../http/upstreams';
import { Attempt, AttemptOwner } from './attempt';
import { formatGrpcTimeout, parseGrpcTimeout } from './grpc-timeout';
import { ReplayableBody } from './replayable-body';
import type { RetryBudget } from './retry-budget';
import type { RetryMetrics } from './retry-metrics';
import { mayRetryMethod, RetryPolicies, RetryPolicy } from './retry-policy';

export interface ServiceRequestDeps {
  readonly balancer: Balancer;
  readonly upstreams: Upstreams;
  readonly targets: TargetCache;
  readonly budget: RetryBudget;
  readonly retryMetrics: RetryMetrics;
  readonly retryPolicies: RetryPolicies;
  readonly clock: Clock;
}

const GRPC_TIMEOUT = 'grpc-timeout';

export class ServiceRequest implements AttemptOwner {
  private readonly policy?: RetryPolicy;
  private readonly body?: ReplayableBody;
  private readonly deadlineAt?: number;
  private deadlineTimer?: NodeJS.Timeout;
  private tryTimer?: NodeJS.Timeout;
  private attempt?: Attempt;
  private withdraw?: () => void;
  private tries = 0;
  private over = false;

  constructor(
    private readonly req: ProxyRequest,
    private readonly sink: ResponseSink,
    private readonly service: Service,
    private readonly deps: ServiceRequestDeps,
  ) {
    const policy = deps.retryPolicies.for(service.policy.retry);
    if (policy && policy.limit > 0 && mayRetryMethod(policy, req.method, req.grpc)) {
      this.policy = policy;
      if (req.body) this.body = new ReplayableBody(req.body);
    }
    const timeoutMs = earliest(service.policy.timeoutMs, req.grpc ? parseGrpcTimeout(req.headers[GRPC_TIMEOUT]) : undefined);
    if (timeoutMs !== undefined) {
      this.deadlineAt = deps.clock.now() + timeoutMs;
      this.deadlineTimer = deps.clock.setTimeout(req.guard.wrap(() => this.expire(timeoutMs)), timeoutMs);
    }
  }

  start(): void {
    this.deps.budget.deposit();
    this.sink.onAbort(this.req.guard.wrap(() => this.cancel()));
    this.acquire(undefined);
  }

  shouldRetry(attempt: Attempt, status: number, grpcStatus: number | undefined): boolean {
    const policy = this.policy;
    if (this.over || !policy) return false;
    if (!policy.statuses.has(status) && (grpcStatus === undefined || !policy.grpcStatuses.has(grpcStatus))) return false;
    if (this.tries > policy.limit || (this.body && !this.body.replayable)) return false;
    const target = this.deps.targets.get(this.service.authority, attempt.lease.endpoint);
    if (!this.deps.budget.withdraw()) {
      this.deps.retryMetrics.budgetExhausted(target, attempt.lease.endpoint);
      return false;
    }
    this.deps.retryMetrics.retried(target, attempt.lease.endpoint);
    return true;
  }

  retry(attempt: Attempt): void {
    this.clearTryTimer();
    this.acquire(attempt.lease);
  }

  committed(attempt: Attempt): void {
    this.clearTryTimer();
    this.route(attempt.lease);
  }

  finished(): void {
    this.over = true;
    this.clearTryTimer();
    if (this.deadlineTimer) this.deps.clock.clearTimeout(this.deadlineTimer);
  }

  /** Asks the balancer for an endpoint; `avoid` is the one a retry just failed on. */
  private acquire(avoid: Lease | undefined): void {
    let granted = false;
    const withdraw = this.deps.balancer.acquire(
      this.service,
      // The grant may come later, from the balancer's queue: it runs in this request's guard.
      this.req.guard.wrap((lease: Lease | ProxyError) => {
        granted = true;
        this.send(lease);
      }),
      avoid,
    );
    // A grant that came at once may have led (a try failing on the spot, then a retry) to another acquire that
    // is still waiting: its withdraw is the one to keep. Overwriting it left a retry queued after a timeout or
    // cancel, whose later try wrote a second head into a sink that had its answer.
    if (!granted) this.withdraw = withdraw;
  }

  private send(lease: Lease | ProxyError): void {
    this.withdraw = undefined;
    if (this.over) {
      // The request timed out or was cancelled while this grant was on its way: nobody waits for a try.
      if (!(lease instanceof ProxyError)) lease.finish(undefined);
      return;
    }
    if (lease instanceof ProxyError) return this.failBeforeAttempt(lease);
    this.tries++;
    const attempt = (this.attempt = new Attempt(this, lease, this.sink, this.policy !== undefined && this.policy.grpcStatuses.size > 0));
    const perTryMs = this.policy?.perTryTimeoutMs;
    if (perTryMs !== undefined) this.tryTimer = this.deps.clock.setTimeout(this.req.guard.wrap(() => attempt.timeOut(perTryMs)), perTryMs);
    if (this.req.grpc && this.deadlineAt !== undefined) this.req.headers[GRPC_TIMEOUT] = formatGrpcTimeout(this.deadlineAt - this.deps.clock.now());
    const req = this.body ? { ...this.req, body: this.body.stream() } : this.req;
    this.deps.upstreams.forRequest(lease.endpoint, req.protocol).send(req, attempt);
  }

  /** Names where the request went, for its metrics and log line, and counts it there. */
  private route(lease: Lease | undefined): void {
    this.sink.target = this.deps.targets.get(this.service.authority, lease?.endpoint);
    this.sink.target.metrics.request();
  }

  private failBeforeAttempt(error: ProxyError): void {
    this.route(undefined);
    this.finished();
    this.sink.fail(error);
  }

  private expire(timeoutMs: number): void {
    this.deadlineTimer = undefined;
    if (this.over) return;
    const attempt = this.attempt;
    if (!attempt?.committed) this.route(attempt?.lease);
    this.stop();
    this.sink.fail(new ProxyError('timeout', `${this.service.authority} did not answer within ${timeoutMs}ms`));
  }

  /** The client went away: stop waiting, stop the try in flight. */
  private cancel(): void {
    if (this.over) return;
    this.stop();
  }

  private stop(): void {
    this.finished();
    this.withdraw?.();
    this.withdraw = undefined;
    this.attempt?.stop(undefined);
  }

  private clearTryTimer(): void {
    if (this.tryTimer) this.deps.clock.clearTimeout(this.tryTimer);
    this.tryTimer = undefined;
  }
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
