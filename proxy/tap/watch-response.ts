// Watches one response for tap: its status, gRPC status, latency to the head, duration, body bytes and proxy
// error, reported once when it is complete. The sink is decorated on its own instance (its public methods,
// through which every upstream and the sink itself write), so only tapped requests pay for this and untapped
// sinks keep their class's methods. What counts mirrors the sink's golden metrics (proxy/http/sink.ts
// `record`): an event the sink's state machine refuses is not counted, and a client that leaves is no outcome.
import { performance } from 'node:perf_hooks';
import type { ProxyError } from '../http/errors';
import type { Headers } from '../http/headers';
import { grpcStatusOf, ResponseSink } from '../http/sink';

export interface ResponseOutcome {
  status: number;
  grpcStatus?: number;
  latencyMs: number;
  durationMs: number;
  bytes: number;
  /** The weft-proxy-error reason when the proxy answered or cut the response. */
  proxyError?: string;
}

/** `done` runs once, after the sink wrote the response's end (or its failure); it must not throw. */
export function watchResponse(sink: ResponseSink, done: (outcome: ResponseOutcome) => void): void {
  const startedAt = performance.now();
  let status = 0;
  let latencyMs = 0;
  let bytes = 0;
  let headHeaders: Headers | undefined;
  const { head, data, end, fail } = sink;
  const finish = (grpcStatus: number | undefined, proxyError?: string) =>
    done({ status, grpcStatus: sink.grpc ? grpcStatus : undefined, latencyMs, durationMs: performance.now() - startedAt, bytes, proxyError });

  sink.head = (code: number, headers: Headers, endStream = false) => {
    const before = sink.state;
    head.call(sink, code, headers, endStream);
    if (before !== 'head' || sink.state === 'head' || sink.state === 'failed') return;
    status = code;
    latencyMs = performance.now() - startedAt;
    headHeaders = headers;
    if (sink.state === 'end') finish(grpcStatusOf(headers));
  };
  sink.data = (chunk: Buffer) => {
    const flowing = data.call(sink, chunk);
    if (sink.state === 'data') bytes += chunk.length;
    return flowing;
  };
  sink.end = (trailers?: Headers, headers?: Headers) => {
    const before = sink.state;
    end.call(sink, trailers, headers); // with no head yet, this fails through sink.fail below
    if (before === 'data' && sink.state === 'end') finish(grpcStatusOf(trailers) ?? grpcStatusOf(headers ?? headHeaders));
  };
  sink.fail = (error: ProxyError) => {
    const before = sink.state;
    fail.call(sink, error);
    if (sink.state !== 'failed' || (before !== 'head' && before !== 'data')) return;
    if (before === 'head') {
      status = error.status;
      latencyMs = performance.now() - startedAt;
    }
    finish(before === 'head' ? error.grpcStatus : undefined, error.reason);
  };
}
