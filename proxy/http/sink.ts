// Where an upstream's response goes: back to the client in the client's protocol. The base class records the
// golden metrics (latency at the response's headers, the outcome at its end) once per request.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../common/log';
import type { HttpTargetMetrics } from '../metrics/http-target';
import { ProxyError } from './errors';
import type { Headers } from './headers';

/** Where a request was routed: its metrics and what a log line about it names. */
export interface Target {
  readonly metrics: HttpTargetMetrics;
  readonly authority: string;
  /** The endpoint address, or '' when routing failed before one was chosen. */
  readonly endpoint: string;
}

/**
 * What an upstream writes a response into: the client's sink, or one attempt of a retried request, which may
 * still throw the response away (proxy/outbound/attempt.ts).
 */
export type UpstreamSink = Pick<ResponseSink, 'head' | 'data' | 'end' | 'fail' | 'onDrain' | 'onAbort'>;

export abstract class ResponseSink {
  /** Set by the stack once the request is routed. */
  target?: Target;
  protected status = 0;
  private readonly startedAt = performance.now();
  private latencyMs = 0;
  private done = false;
  /** The client went away before the response was complete: what fails after that is not the upstream's fault. */
  private clientGone = false;
  private onClientGone?: (() => void)[];

  constructor(
    readonly grpc: boolean,
    private readonly log: Logger,
  ) {}

  abstract get headSent(): boolean;
  /** Writes a chunk; false means wait for onDrain before the next. */
  abstract data(chunk: Buffer): boolean;
  abstract onDrain(fn: () => void): void;
  /** `fn` is called once if the client goes away before the response is complete. */
  onAbort(fn: () => void): void {
    (this.onClientGone ??= []).push(fn);
  }

  /** Subclasses call this from their one 'close' listener when the response was not finished. */
  protected clientLeft(): void {
    this.clientGone = true;
    for (const fn of this.onClientGone ?? []) fn();
  }
  protected abstract writeHead(status: number, headers: Headers): void;
  protected abstract writeEnd(trailers: Headers | undefined): void;
  protected abstract writeError(error: ProxyError): void;
  /** Cuts a response that has already started: the client must not mistake it for a complete one. */
  protected abstract abortResponse(): void;

  head(status: number, headers: Headers): void {
    this.status = status;
    this.latencyMs = performance.now() - this.startedAt;
    this.writeHead(status, headers);
    // A gRPC "trailers-only" response carries its grpc-status in the headers and may end right here.
  }

  end(trailers?: Headers, headers?: Headers): void {
    if (this.status === 0) return this.fail(new ProxyError('upstream-protocol-error', `${this.target?.endpoint ?? 'upstream'} ended the stream without a response`));
    this.record(grpcStatusOf(trailers) ?? grpcStatusOf(headers));
    this.writeEnd(trailers);
  }

  fail(error: ProxyError): void {
    if (this.clientGone) {
      // The upstream was cut off because the client left: neither a failure of the upstream nor an answer.
      this.done = true;
      this.log.debug({ authority: this.target?.authority, endpoint: this.target?.endpoint }, 'request cancelled by the client');
      return;
    }
    this.log.warn({ authority: this.target?.authority, endpoint: this.target?.endpoint, reason: error.reason, error: error.message }, 'request failed');
    if (this.headSent) {
      this.record(undefined, error.reason);
      this.abortResponse();
      return;
    }
    this.status = error.status;
    this.latencyMs = performance.now() - this.startedAt;
    this.record(this.grpc ? error.grpcStatus : undefined, error.reason);
    this.writeError(error);
  }

  private record(grpcStatus: number | undefined, error?: string): void {
    if (this.done) return;
    this.done = true;
    this.target?.metrics.response(this.status, this.grpc ? (grpcStatus ?? undefined) : undefined, this.latencyMs, error);
  }
}

function grpcStatusOf(headers: Headers | undefined): number | undefined {
  const value = headers?.['grpc-status'];
  return typeof value === 'string' ? Number(value) : undefined;
}
