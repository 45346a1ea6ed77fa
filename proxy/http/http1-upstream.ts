// HTTP/1.1 to one endpoint through an undici Pool (keep-alive connections, reused across requests): an app, or
// a peer weft proxy over mTLS (ALPN http/1.1) when the request is HTTP/1.1 (upstreams.ts says why).
import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { buildConnector, Dispatcher, Pool } from 'undici';
import { formatHostPort, HostPort } from '../../common/address';
import type { FaultReporter, Guard } from '../transport/guard';
import type { MtlsConnector } from '../transport/tls-connect';
import { upstreamError } from './errors';
import { forwardHeaders, Headers, responseHeaders } from './headers';
import type { ProxyRequest } from './request';
import type { UpstreamSink } from './sink';

export interface UpstreamOptions {
  connectTimeoutMs: number;
  /** Called with every new connection to an endpoint (for TCP metrics); `serverId` when it is mTLS. */
  onConnection?: (socket: Socket, endpoint: string, serverId?: string) => void;
  /** Originates mTLS to endpoints with an identity; absent when the proxy runs without identity. */
  mtls?: MtlsConnector;
  /** Reports faults of what no request owns, e.g. an h2 session's own events. */
  faults: FaultReporter;
}

export class Http1Upstream {
  private readonly pool: Pool;
  readonly key: string;

  /** With `serverId`, every connection is mTLS to a peer proxy that must prove that identity. */
  constructor(addr: HostPort, options: UpstreamOptions, serverId?: string) {
    this.key = formatHostPort(addr);
    // undici is loaded at start-up although it costs an idle proxy ~10 MB of RSS: loaded with the first HTTP/1
    // endpoint, the tens of milliseconds it takes to compile landed in that endpoint's first latency sample,
    // and peak-EWMA then steered around a healthy endpoint for seconds. Every meshed pod needs it (inbound
    // HTTP/1 to its app), so loading it late would save memory in benchmarks only.
    const mtls = serverId !== undefined ? options.mtls : undefined;
    const plain = buildConnector({ timeout: options.connectTimeoutMs, noDelay: true });
    const connect: buildConnector.connector = mtls
      ? (_opts, cb) => {
          mtls.connect(addr, serverId!, 'http/1.1', options.connectTimeoutMs).then(
            (socket) => {
              options.onConnection?.(socket, this.key, serverId);
              cb(null, socket);
            },
            (err: Error) => cb(err, null),
          );
        }
      : options.onConnection
        ? (opts, cb) =>
            plain(opts, (err, socket) => {
              if (socket) options.onConnection!(socket as Socket, this.key);
              (cb as (e: Error | null, s: unknown) => void)(err, socket);
            })
        : plain;
    this.pool = new Pool(`http://${this.key}`, {
      // Requests are streams of unbounded length (long polls, downloads): timeouts are the route's business.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 60_000,
      connect,
    });
  }

  send(req: ProxyRequest, sink: UpstreamSink, dropWeftHeaders = false): void {
    const headers = forwardHeaders(req.headers, { dropWeftHeaders });
    headers.host = req.authority;
    // undici destroys a stream body once it has read it. For an HTTP/2 stream that would reset the stream
    // before the response is sent, so such a body is handed over as an iterator that leaves the stream open
    // (undici takes async iterables; its type declarations do not say so).
    const body =
      req.body === null || req.body instanceof IncomingMessage ? req.body : (req.body.iterator({ destroyOnReturn: false }) as unknown as Readable);
    this.pool.dispatch({ method: req.method, path: req.path, headers, body }, new ForwardHandler(sink, this.key, req.guard));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Relays undici's response callbacks to the sink, pausing the upstream when the client reads slowly. Every
 * callback runs in the request's guard (a throw inside undici's parser would otherwise end up anywhere).
 */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private headers?: Headers;

  constructor(
    private readonly sink: UpstreamSink,
    private readonly endpoint: string,
    private readonly guard: Guard,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    try {
      this.sink.onAbort(this.guard.wrap(() => controller.abort(new Error('client went away'))));
    } catch (err) {
      this.guard.fault(err);
    }
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    try {
      if (statusCode < 200) return this.sink.informational(statusCode, responseHeaders(headers));
      this.headers = responseHeaders(headers);
      this.sink.head(statusCode, this.headers);
    } catch (err) {
      this.guard.fault(err);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    try {
      if (!this.sink.data(chunk)) {
        controller.pause();
        this.sink.onDrain(this.guard.wrap(() => controller.resume()));
      }
    } catch (err) {
      this.guard.fault(err);
    }
  }

  onResponseEnd(_c: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    try {
      this.sink.end(trailers ? responseHeaders(trailers) : undefined, this.headers);
    } catch (err) {
      this.guard.fault(err);
    }
  }

  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    try {
      this.sink.fail(upstreamError(error, this.endpoint));
    } catch (err) {
      this.guard.fault(err);
    }
  }
}
