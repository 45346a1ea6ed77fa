// Where an upstream's response goes: back to the client in the client's protocol. The base class is a small
// state machine (head → data → end | failed) with one transition guard, so a response is written in order
// and once: an event the current state does not accept (a second head, data before the head, anything after
// the end or a failure) is dropped with a debug line instead of reaching Node, which would throw. It also
// records the golden metrics (latency at the response's head, the outcome at its end) once per request.
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
export type UpstreamSink = Pick<ResponseSink, 'informational' | 'head' | 'data' | 'end' | 'fail' | 'onDrain' | 'onAbort'>;

/**
 * `head`: nothing final sent yet (1xx may go out); `data`: the head is out, the body flows; `end`: complete;
 * `failed`: answered with a proxy error, cut off, or the client left. `end` and `failed` are final.
 */
export type SinkState = 'head' | 'data' | 'end' | 'failed';
type SinkEvent = 'informational' | 'head' | 'headersOnly' | 'data' | 'end' | 'fail' | 'clientLeft';

const TRANSITIONS: Record<SinkState, Partial<Record<SinkEvent, SinkState>>> = {
  head: { informational: 'head', head: 'data', headersOnly: 'end', fail: 'failed', clientLeft: 'failed' },
  data: { data: 'data', end: 'end', fail: 'failed', clientLeft: 'failed' },
  end: {},
  failed: {},
};

/** 100 is answered by the proxy itself and 101 is an Upgrade (upgrade.ts); other 1xx are passed on. */
export function isForwardedInformational(status: number): boolean {
  return status > 101 && status < 200;
}

export abstract class ResponseSink {
  /** Set by the stack once the request is routed. */
  target?: Target;
  private stateNow: SinkState = 'head';
  private status = 0;
  private readonly startedAt = performance.now();
  private latencyMs = 0;
  private onClientGone?: (() => void)[];

  constructor(
    readonly grpc: boolean,
    protected readonly log: Logger,
  ) {}

  get state(): SinkState {
    return this.stateNow;
  }

  protected abstract writeInformational(status: number, headers: Headers): void;
  /** `endStream`: the head is the whole response (a gRPC Trailers-Only response, a 204, a HEAD's answer). */
  protected abstract writeHead(status: number, headers: Headers, endStream: boolean): void;
  /** Writes a chunk; false means wait for onDrain before the next. */
  protected abstract writeData(chunk: Buffer): boolean;
  protected abstract writeEnd(trailers: Headers | undefined): void;
  protected abstract writeError(error: ProxyError): void;
  /** Cuts a response that has already started: the client must not mistake it for a complete one. */
  protected abstract abortResponse(): void;
  abstract onDrain(fn: () => void): void;

  /** `fn` is called once if the client goes away before the response is complete. */
  onAbort(fn: () => void): void {
    (this.onClientGone ??= []).push(fn);
  }

  /** A 1xx response before the final one (102 Processing, 103 Early Hints). */
  informational(status: number, headers: Headers): void {
    if (!isForwardedInformational(status) || !this.advance('informational')) return;
    this.writeInformational(status, headers);
  }

  /** The final response's head; with `endStream` it is the whole response. */
  head(status: number, headers: Headers, endStream = false): void {
    if (!this.advance(endStream ? 'headersOnly' : 'head')) return;
    this.status = status;
    this.latencyMs = performance.now() - this.startedAt;
    if (endStream) this.record(grpcStatusOf(headers));
    this.writeHead(status, headers, endStream);
  }

  data(chunk: Buffer): boolean {
    // Dropped chunks report no back-pressure: an upstream must not wait for a drain that never comes.
    return this.advance('data') ? this.writeData(chunk) : true;
  }

  /** `headers` are the response's head, where a gRPC status may be when there are no trailers. */
  end(trailers?: Headers, headers?: Headers): void {
    if (this.stateNow === 'head') return this.fail(new ProxyError('upstream-protocol-error', `${this.target?.endpoint ?? 'upstream'} ended the stream without a response`));
    if (!this.advance('end')) return;
    this.record(grpcStatusOf(trailers) ?? grpcStatusOf(headers));
    this.writeEnd(trailers);
  }

  fail(error: ProxyError): void {
    const before = this.stateNow;
    if (!this.advance('fail', error.reason)) return;
    this.log.warn({ authority: this.target?.authority, endpoint: this.target?.endpoint, reason: error.reason, error: error.message }, 'request failed');
    if (before === 'data') {
      this.record(undefined, error.reason);
      this.abortResponse();
      return;
    }
    this.status = error.status;
    this.latencyMs = performance.now() - this.startedAt;
    this.record(this.grpc ? error.grpcStatus : undefined, error.reason);
    this.writeError(error);
  }

  /**
   * Subclasses call this from their one 'close' listener when the response was not finished. Whatever the
   * upstream does after this is not its fault and not an answer: it is neither counted nor written.
   */
  protected clientLeft(): void {
    if (!this.advance('clientLeft')) return;
    this.log.debug({ authority: this.target?.authority, endpoint: this.target?.endpoint }, 'request cancelled by the client');
    for (const fn of this.onClientGone ?? []) fn();
  }

  /** The one transition guard: moves on if the current state accepts `event`, else says why not (debug). */
  private advance(event: SinkEvent, detail?: string): boolean {
    const next = TRANSITIONS[this.stateNow][event];
    if (next === undefined) {
      this.log.debug({ authority: this.target?.authority, endpoint: this.target?.endpoint, event, state: this.stateNow, detail }, 'response event ignored in this state');
      return false;
    }
    this.stateNow = next;
    return true;
  }

  private record(grpcStatus: number | undefined, error?: string): void {
    this.target?.metrics.response(this.status, this.grpc ? grpcStatus : undefined, this.latencyMs, error);
  }
}

export function grpcStatusOf(headers: Headers | undefined): number | undefined {
  const value = headers?.['grpc-status'];
  return typeof value === 'string' ? Number(value) : undefined;
}
