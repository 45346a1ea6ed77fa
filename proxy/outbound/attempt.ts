// One try of a request to one endpoint. It stands between the upstream and the client's sink: it reports the
// endpoint's latency and outcome to the balancer, and keeps a response from the client until the request
// knows it will not retry. An HTTP response is judged by its status; a gRPC response, when gRPC statuses are
// retried, is held until its first body byte (then it is too late to retry) or its end (the status is known).
import type { Lease } from '../balance/endpoint-load';
import { GRPC_DEADLINE_EXCEEDED, ProxyError } from '../http/errors';
import type { Headers } from '../http/headers';
import { grpcStatusOf, ResponseSink, UpstreamSink } from '../http/sink';

/** The request an attempt belongs to: it decides about retries and owns the timers. */
export interface AttemptOwner {
  /** Whether this outcome should be retried; when it says yes, it has taken a retry from the budget. */
  shouldRetry(attempt: Attempt, status: number, grpcStatus: number | undefined): boolean;
  retry(attempt: Attempt): void;
  /** The response goes to the client from now on. */
  committed(attempt: Attempt): void;
  /** The response is complete (or failed for good). */
  finished(): void;
}

// gRPC's counterparts of 5xx: the endpoint failed, not the call. Others (NOT_FOUND…) are the application's answer.
const GRPC_ENDPOINT_FAILURES = new Set([2, GRPC_DEADLINE_EXCEEDED, 13, 14, 15]);

export class Attempt implements UpstreamSink {
  private stopUpstream?: () => void;
  private stopped = false;
  private isCommitted = false;
  private held?: { status: number; headers: Headers };

  constructor(
    private readonly owner: AttemptOwner,
    readonly lease: Lease,
    private readonly client: ResponseSink,
    /** gRPC statuses are retried: hold gRPC responses until their status is known. */
    private readonly holdGrpc: boolean,
  ) {}

  get committed(): boolean {
    return this.isCommitted;
  }

  /** 1xx goes straight through: it is advisory, and a retried request may well get one from each try. */
  informational(status: number, headers: Headers): void {
    if (!this.stopped) this.client.informational(status, headers);
  }

  head(status: number, headers: Headers, endStream = false): void {
    if (this.stopped) return;
    this.lease.responseStarted();
    const grpcStatus = this.client.grpc ? grpcStatusOf(headers) : undefined;
    if (!this.client.grpc || grpcStatus !== undefined || endStream) {
      // The outcome is known now: an HTTP status, or a gRPC Trailers-Only response.
      this.lease.finish(this.client.grpc ? grpcStatus === undefined || !GRPC_ENDPOINT_FAILURES.has(grpcStatus) : status < 500);
      if (this.owner.shouldRetry(this, status, grpcStatus)) return this.discard();
    } else if (this.holdGrpc) {
      this.held = { status, headers };
      return;
    }
    this.commit();
    if (endStream) this.owner.finished();
    this.client.head(status, headers, endStream);
  }

  data(chunk: Buffer): boolean {
    if (this.stopped) return true;
    if (this.held) this.release();
    return this.client.data(chunk);
  }

  end(trailers?: Headers, headers?: Headers): void {
    if (this.stopped) return;
    if (this.client.grpc) {
      const grpcStatus = grpcStatusOf(trailers) ?? grpcStatusOf(headers);
      this.lease.finish(grpcStatus === undefined || !GRPC_ENDPOINT_FAILURES.has(grpcStatus));
      if (this.held && this.owner.shouldRetry(this, this.held.status, grpcStatus)) return this.discard();
    }
    if (this.held) this.release();
    this.owner.finished();
    this.client.end(trailers, headers);
  }

  fail(error: ProxyError): void {
    if (!this.stopped) this.failed(error);
  }

  onDrain(fn: () => void): void {
    this.client.onDrain(fn);
  }

  onAbort(fn: () => void): void {
    this.stopUpstream = fn;
    if (this.stopped) fn();
  }

  /** The per-try timeout: the endpoint took too long to answer; cut it off and maybe try another. */
  timeOut(ms: number): void {
    if (this.stopped || this.isCommitted) return;
    this.stop(false);
    this.failed(new ProxyError('timeout', `${this.lease.endpoint.key} did not answer within the per-try timeout of ${ms}ms`));
  }

  /** Ends the try without a word to the client (the request was cancelled or timed out as a whole). */
  stop(success: boolean | undefined): void {
    this.lease.finish(success);
    if (this.stopped) return;
    this.stopped = true;
    this.stopUpstream?.();
  }

  private failed(error: ProxyError): void {
    this.lease.finish(false);
    if (!this.isCommitted && this.owner.shouldRetry(this, error.status, this.client.grpc ? error.grpcStatus : undefined)) return this.discard();
    this.commit();
    this.owner.finished();
    // The try is over: whatever its upstream still delivers (a response that was on its way when a write of
    // the request failed, say) must not follow the error to the client.
    this.stop(false);
    this.client.fail(error);
  }

  private discard(): void {
    this.stop(undefined);
    this.owner.retry(this);
  }

  private commit(): void {
    if (this.isCommitted) return;
    this.isCommitted = true;
    this.owner.committed(this);
  }

  private release(): void {
    const { status, headers } = this.held!;
    this.held = undefined;
    this.commit();
    this.client.head(status, headers);
  }
}
