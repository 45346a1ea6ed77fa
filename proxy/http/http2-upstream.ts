// HTTP/2 to one endpoint over a single multiplexed session, opened on first use and reopened after it goes
// away. Used for gRPC and h2 apps, and for every request to a peer weft proxy (HTTP/1 included, marked with
// weft-orig-proto so the far proxy turns it back into HTTP/1).
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Endpoint } from '../discovery/types';
import { ORIG_PROTO } from '../../common/contract';
import { Guard } from '../transport/guard';
import { upstreamError } from './errors';
import { forwardHeaders, Headers, responseHeaders } from './headers';
import type { UpstreamOptions } from './http1-upstream';
import type { ProxyRequest } from './request';
import { MAX_HEADER_BYTES } from './servers';
import type { UpstreamSink } from './sink';

const SESSION_SETTINGS: http2.Settings = { initialWindowSize: 1 << 20, enablePush: false };
/**
 * nghttp2 refuses to send a header block whose worst-case HPACK size passes this (64 KiB by default). That bound
 * is each field's name and value plus 12 bytes, at most 2.6 times the field's HTTP/1 line (name, ": ", value,
 * CRLF): thrice the HTTP/1 limit lets every head the HTTP/1 server accepted cross the hop.
 */
const MAX_SEND_HEADER_BLOCK_BYTES = 3 * MAX_HEADER_BYTES;

export class Http2Upstream {
  private session?: http2.ClientHttp2Session;

  constructor(
    /** With an identity, the session is mTLS to a peer proxy that must prove it. */
    private readonly endpoint: Endpoint,
    private readonly options: UpstreamOptions,
  ) {}

  send(req: ProxyRequest, sink: UpstreamSink, dropWeftHeaders = false): void {
    const headers: http2.OutgoingHttpHeaders = forwardHeaders(req.headers, { dropWeftHeaders, keepTeTrailers: true });
    headers[':method'] = req.method;
    headers[':path'] = req.path;
    headers[':authority'] = req.authority;
    headers[':scheme'] = 'http';
    if (req.protocol !== 'HTTP/2') headers[ORIG_PROTO] = req.protocol;

    // Cancelling through the signal resets the stream (RST_STREAM CANCEL) and nothing else; stream.close()
    // would first end the request body with END_STREAM, so the peer would take a cut body for a whole one.
    const cancel = new AbortController();
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.connect().request(headers, { endStream: req.body === null, signal: cancel.signal });
    } catch (err) {
      sink.fail(upstreamError(err as Error, this.endpoint.key));
      return;
    }
    if (req.body) req.body.pipe(stream);
    sink.onAbort(req.guard.wrap(() => cancel.abort()));
    relay(stream, sink, this.endpoint.key, req.guard);
  }

  close(): void {
    this.session?.close();
  }

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2.connect(`http://${this.endpoint.key}`, {
      settings: SESSION_SETTINGS,
      maxSendHeaderBlockLength: MAX_SEND_HEADER_BLOCK_BYTES,
      createConnection: () => this.openSocket(),
    });
    // The session's own events belong to no request: a fault in them closes the session, and its streams fail.
    const guard = new Guard(this.options.faults, this.endpoint.key, 'connection', () => session.destroy());
    const timer = setTimeout(
      guard.wrap(() => session.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }))),
      this.options.connectTimeoutMs,
    );
    guard.once(session, 'connect', () => {
      clearTimeout(timer);
      session.setLocalWindowSize(SESSION_SETTINGS.initialWindowSize! * 8);
    });
    guard.once(session, 'close', () => {
      clearTimeout(timer);
      if (this.session === session) this.session = undefined;
    });
    // New requests go to a fresh session once the peer says goodbye; in-flight streams finish on this one.
    guard.once(session, 'goaway', () => {
      if (this.session === session) this.session = undefined;
    });
    session.on('error', () => {}); // each stream reports its own failure
    this.session = session;
    return session;
  }

  private openSocket(): Socket {
    // Without a local identity (WEFT_PROXY_IDENTITY_DISABLED) there is no mTLS to originate: plaintext h2.
    const { addr, identity: serverId } = this.endpoint;
    const mtls = serverId !== undefined ? this.options.mtls : undefined;
    const socket = mtls
      ? mtls.open(addr, serverId!, 'h2')
      : (require('node:net').connect({ host: addr.host, port: addr.port, noDelay: true }) as Socket);
    this.options.onConnection?.(socket, this.endpoint, mtls ? serverId : undefined);
    return socket;
  }
}

/**
 * Relays one stream's response to the sink as head → data → end, or one failure, each event in the request's
 * guard. A response whose HEADERS frame ends the stream (gRPC Trailers-Only) is passed on as one, so it stays
 * a single frame on the far side.
 *
 * Node emits 'response' on process.nextTick but pushes DATA as soon as it parses it, so when HEADERS and
 * DATA are parsed in one pass (a busy mTLS session under load) a 'data' listener added up front hears the body
 * before the head. So the body is read only once the head is relayed; until then it waits in the stream's
 * buffer, under HTTP/2 flow control. 'end', 'error' and 'close' may all follow each other: only the first
 * that settles the response counts.
 */
function relay(stream: http2.ClientHttp2Stream, sink: UpstreamSink, endpoint: string, guard: Guard): void {
  let headers: Headers | undefined;
  let trailers: Headers | undefined;
  /** The sink has heard the end or a failure, its last word. */
  let settled = false;
  const failed = (err: Error) => {
    if (settled) return;
    settled = true;
    sink.fail(upstreamError(err, endpoint));
  };
  guard.on(stream, 'headers', (h: http2.IncomingHttpHeaders) => {
    // Node emits 'headers' for 1xx before the response (and for a non-final HEADERS after it, which has no :status).
    const status = Number(h[':status']);
    if (status >= 100 && status < 200) sink.informational(status, responseHeaders(h));
  });
  guard.once(stream, 'response', (h: http2.IncomingHttpHeaders, flags: number) => {
    const status = Number(h[':status']);
    headers = responseHeaders(h);
    const headersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    if (headersOnly) settled = true;
    sink.head(status, headers, headersOnly);
    guard.on(stream, 'data', (chunk: Buffer) => {
      if (!sink.data(chunk)) {
        stream.pause();
        sink.onDrain(guard.wrap(() => stream.destroyed || stream.resume()));
      }
    });
  });
  guard.on(stream, 'trailers', (t: http2.IncomingHttpHeaders) => {
    trailers = responseHeaders(t);
  });
  guard.on(stream, 'end', () => {
    if (settled) return;
    settled = true;
    sink.end(trailers, headers);
  });
  guard.on(stream, 'error', (err: Error) => {
    // Node's http2 streams do not destroy themselves on error (a failed write leaves the stream open, and its
    // response may still arrive): the request has failed, so the stream is cancelled.
    if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
    failed(err);
  });
  guard.on(stream, 'close', () => {
    // Reset without an error event (e.g. RST_STREAM CANCEL from the peer): the response is incomplete.
    if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
      failed(Object.assign(new Error(`stream reset with code ${stream.rstCode}`), { code: 'ERR_HTTP2_STREAM_ERROR' }));
    }
  });
}
