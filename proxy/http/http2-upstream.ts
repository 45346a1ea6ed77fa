// HTTP/2 to one endpoint over a single multiplexed session, opened on first use and reopened after it goes
// away. Used for gRPC and h2 apps, and for every request to a peer weft proxy (HTTP/1 included, marked with
// weft-orig-proto so the far proxy turns it back into HTTP/1).
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import { formatHostPort, HostPort } from '../../common/address';
import { ORIG_PROTO } from '../../common/contract';
import { Guard } from '../transport/guard';
import { upstreamError } from './errors';
import { forwardHeaders, Headers, responseHeaders } from './headers';
import type { UpstreamOptions } from './http1-upstream';
import type { ProxyRequest } from './request';
import type { UpstreamSink } from './sink';

const SESSION_SETTINGS: http2.Settings = { initialWindowSize: 1 << 20, enablePush: false };

export class Http2Upstream {
  private session?: http2.ClientHttp2Session;
  readonly key: string;

  constructor(
    private readonly addr: HostPort,
    private readonly options: UpstreamOptions,
    /** The peer proxy's identity: the session is mTLS and the peer must prove it. */
    private readonly serverId?: string,
  ) {
    this.key = formatHostPort(addr);
  }

  send(req: ProxyRequest, sink: UpstreamSink, dropWeftHeaders = false): void {
    const headers: http2.OutgoingHttpHeaders = forwardHeaders(req.headers, { dropWeftHeaders, keepTeTrailers: true });
    headers[':method'] = req.method;
    headers[':path'] = req.path;
    headers[':authority'] = req.authority;
    headers[':scheme'] = 'http';
    if (req.protocol !== 'HTTP/2') headers[ORIG_PROTO] = req.protocol;

    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.connect().request(headers, { endStream: req.body === null });
    } catch (err) {
      sink.fail(upstreamError(err as Error, this.key));
      return;
    }
    if (req.body) req.body.pipe(stream);
    relay(stream, sink, this.key, req.guard);
  }

  close(): void {
    this.session?.close();
  }

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2.connect(`http://${this.key}`, {
      settings: SESSION_SETTINGS,
      createConnection: () => this.openSocket(),
    });
    // The session's own events belong to no request: a fault in them closes the session, and its streams fail.
    const guard = new Guard(this.options.faults, this.key, 'connection', () => session.destroy());
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
    const mtls = this.serverId !== undefined ? this.options.mtls : undefined;
    const socket = mtls
      ? mtls.open(this.addr, this.serverId!, 'h2')
      : (require('node:net').connect({ host: this.addr.host, port: this.addr.port, noDelay: true }) as Socket);
    this.options.onConnection?.(socket, this.key, mtls ? this.serverId : undefined);
    return socket;
  }
}

/** Relays the upstream stream's events to the sink, each in the request's guard. */
function relay(stream: http2.ClientHttp2Stream, sink: UpstreamSink, endpoint: string, guard: Guard): void {
  let headers: Headers | undefined;
  let trailers: Headers | undefined;
  let ended = false;
  // The stream may be gone by the time the client leaves.
  sink.onAbort(guard.wrap(() => stream.destroyed || stream.close(http2.constants.NGHTTP2_CANCEL)));
  guard.on(stream, 'response', (h: http2.IncomingHttpHeaders) => {
    const status = Number(h[':status']);
    headers = responseHeaders(h);
    sink.head(status, headers);
  });
  guard.on(stream, 'data', (chunk: Buffer) => {
    if (!sink.data(chunk)) {
      stream.pause();
      sink.onDrain(guard.wrap(() => stream.destroyed || stream.resume()));
    }
  });
  guard.on(stream, 'trailers', (t: http2.IncomingHttpHeaders) => {
    trailers = responseHeaders(t);
  });
  guard.on(stream, 'end', () => {
    ended = true;
    sink.end(trailers, headers);
  });
  guard.on(stream, 'error', (err: Error) => {
    if (!ended) sink.fail(upstreamError(err, endpoint));
  });
  guard.on(stream, 'close', () => {
    // Reset without an error event (e.g. RST_STREAM CANCEL from the peer): the response is incomplete.
    if (!ended && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
      ended = true;
      sink.fail(upstreamError(Object.assign(new Error(`stream reset with code ${stream.rstCode}`), { code: 'ERR_HTTP2_STREAM_ERROR' }), endpoint));
    }
  });
}
