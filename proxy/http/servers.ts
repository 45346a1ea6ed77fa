// The HTTP/1 and HTTP/2 servers that detected connections are handed to. They never listen themselves: the
// transport layer accepts, detects, and emits 'connection' on the right one.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type * as net from 'node:net';
import type { Clock } from '../../common/clock';
import type { Logger } from '../../common/log';
import { connectionInfo } from '../transport/connection-info';
import { connectionGuard, FaultReporter, Guard, peerOf } from '../transport/guard';
import { ProxyError } from './errors';
import { headerListTooLarge, limitSession, refuseTooLargeHeaders } from './h2-session';
import { http1HeadRefusal } from './http1-framing';
import { writeRawError } from './raw-response';
import { fromHttp1, fromHttp2, ProxyRequest } from './request';
import { Http1Sink } from './http1-sink';
import { Http2Sink } from './http2-sink';
import type { ResponseSink } from './sink';

/** 64 KiB of request headers at most; more gets 431 (Node's parser enforces it for HTTP/1, h2-session.ts for h2). */
export const MAX_HEADER_BYTES = 64 * 1024;
/**
 * How often Node looks for connections past the header timeout. Its default (30 s) would let a client that
 * drips its headers hold a connection up to 30 s beyond the timeout.
 */
const HEADER_TIMEOUT_CHECK_MS = 1_000;
/**
 * Header fields an HTTP/1 request gains on the h2 hop between proxies: four pseudo-headers and weft-orig-proto
 * for its Host line, with room to spare. The far proxy must take every request the near one let through.
 */
const HOP_HEADER_PAIRS = 8;
/** HPACK counts each field as name + value + 32 bytes (RFC 7541 §4.1); an HTTP/1 line is name + value + 4. */
const HPACK_FIELD_OVERHEAD = 32;

/** Each may return a promise: its rejection is a fault of that request or connection, like a throw. */
export interface HttpHandlers {
  request(req: ProxyRequest, sink: ResponseSink, socket: net.Socket): unknown;
  /** `Upgrade` (e.g. WebSocket): after the head, bytes flow opaquely. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): unknown;
  /** `CONNECT host:port` from an app using the proxy as an HTTP proxy. */
  connect(req: http.IncomingMessage, socket: Duplex, head: Buffer): unknown;
}

export interface HttpServerOptions {
  headerTimeoutMs: number;
  /** The most header lines an HTTP/1 request may have; more gets 431 (WEFT_PROXY_HTTP_MAX_HEADERS). */
  maxHeaders: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS at the app's edge (config.http2MaxConcurrentStreams). */
  maxConcurrentStreams: number;
  faults: FaultReporter;
  clock: Pick<Clock, 'now'>;
}

export interface HttpServers {
  http1: http.Server;
  http2: http2.Http2Server;
  /** True once shutdown began: answer what is in flight, then close each connection. */
  draining: boolean;
  /** Sends GOAWAY on every HTTP/2 session and closes idle HTTP/1 connections. */
  drain(): void;
}

export function createHttpServers(handlers: HttpHandlers, options: HttpServerOptions, log: Logger): HttpServers {
  const { faults, maxHeaders } = options;
  // The HTTP/2 header list limit that takes every head the HTTP/1 server accepts (HTTP/1 requests from a peer
  // proxy arrive over h2): 64 KiB plus HPACK's per-field overhead for as many fields as a request may have.
  const maxHeaderListBytes = MAX_HEADER_BYTES + HPACK_FIELD_OVERHEAD * (maxHeaders + HOP_HEADER_PAIRS);
  const sessions = new Set<http2.ServerHttp2Session>();
  const servers: HttpServers = {
    draining: false,
    http1: http.createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        headersTimeout: options.headerTimeoutMs,
        connectionsCheckingInterval: Math.min(HEADER_TIMEOUT_CHECK_MS, options.headerTimeoutMs),
        requestTimeout: 0,
        keepAliveTimeout: 60_000,
      },
      (req, res) => {
        const refusal = http1HeadRefusal(req.rawHeaders, maxHeaders);
        // A refused request's body is never read: close the connection rather than parse what follows it.
        const sink = new Http1Sink(res, () => refusal !== undefined || servers.draining, log);
        if (refusal) return sink.fail(refusal);
        const guard = guardRequest(connectionGuard(req.socket, faults), () => sink, () => res.destroy());
        guard.run(() => handlers.request(fromHttp1(req, guard), sink, req.socket));
      },
    ),
    http2: http2.createServer({
      maxHeaderListPairs: Math.max(512, maxHeaders + HOP_HEADER_PAIRS),
      maxSessionMemory: 64,
      settings: { initialWindowSize: 1 << 20, maxConcurrentStreams: options.maxConcurrentStreams, maxHeaderListSize: maxHeaderListBytes },
    }),
    drain() {
      servers.draining = true;
      servers.http1.closeIdleConnections();
      for (const session of sessions) session.close();
    },
  };
  // Node checks header timeouts and tracks idle connections only for servers that listened; these servers get
  // their connections handed over, so start that tracking by hand.
  servers.http1.emit('listening');
  // One line past the limit, so that http1HeadRefusal sees a longer head as one (0 would mean no limit).
  servers.http1.maxHeadersCount = maxHeaders + 1;
  // Upgrade and CONNECT hand the socket over: a refused head is answered on it before the handler sees it.
  const checked = (handler: HttpHandlers['upgrade']) => (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
    connectionGuard(req.socket, faults).run(() => {
      const refusal = http1HeadRefusal(req.rawHeaders, maxHeaders);
      if (!refusal) return handler(req, socket, head);
      log.warn({ client: req.socket.remoteAddress, reason: refusal.reason, error: refusal.message }, 'request refused');
      writeRawError(socket, refusal);
    });
  servers.http1.on('upgrade', checked(handlers.upgrade));
  servers.http1.on('connect', checked(handlers.connect));
  servers.http1.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => connectionGuard(socket, faults).run(answerClientError, err, socket));
  // Listeners accept half-open connections (opaque TCP needs them), but an HTTP/2 session does not notice its
  // client's FIN: without this, every client that just closes would leave a connection in CLOSE-WAIT for good.
  servers.http2.on('connection', (socket: net.Socket) => {
    socket.allowHalfOpen = false;
  });
  // Emitted while the transport layer hands the socket over, inside that connection's guard.
  servers.http2.on('session', (session: http2.ServerHttp2Session) => {
    // The session's own guard: a fault outside any request ends the session with GOAWAY INTERNAL_ERROR.
    const guard = new Guard(faults, peerOf(session.socket), 'connection', (error) => session.destroy(error, http2.constants.NGHTTP2_INTERNAL_ERROR));
    // `session.socket` is a proxy that refuses most socket methods, but reads what the transport layer learned.
    const socket = session.socket as net.Socket;
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.on('error', () => {}); // the client's problem; its streams are already reset
    goawayWithProtocolError(session);
    session.setLocalWindowSize(8 << 20);
    const watchResets = limitSession(session, connectionInfo(socket)?.clientId !== undefined, options, guard, log);
    guard.on(session, 'stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      // A reset client stream: the sink notices through 'close'. Attached first: a stream destroyed before it
      // was emitted still emits its error after this.
      stream.on('error', () => {});
      watchResets(stream);
      // HEADERS and RST_STREAM (or a protocol error) in one read: Node emits the stream already destroyed.
      if (stream.destroyed) return;
      if (headerListTooLarge(rawHeaders, maxHeaderListBytes)) return refuseTooLargeHeaders(stream);
      let sink: Http2Sink | undefined;
      const requestGuard = guardRequest(guard, () => sink, () => stream.destroyed || stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
      requestGuard.run(() => {
        const req = fromHttp2(stream, headers, requestGuard);
        sink = new Http2Sink(stream, req.grpc, log);
        return handlers.request(req, sink, socket);
      });
    });
  });
  return servers;
}

/**
 * The guard of one request: a fault fails it with 502 internal-error (gRPC: INTERNAL), never retried since it
 * goes to the client's sink past the retry layer; when even that throws, `abort` cuts the request.
 */
function guardRequest(connection: Guard, sink: () => ResponseSink | undefined, abort: () => unknown): Guard {
  return connection.forRequest(() => {
    const current = sink();
    if (current === undefined) return void abort();
    try {
      current.fail(new ProxyError('internal-error', 'the proxy failed on this request; its log has the details'));
    } catch {
      abort();
    }
  });
}

/** nghttp2's NGHTTP2_ERR_PROTO, which http2.constants does not export. */
const NGHTTP2_ERR_PROTO = -505;

/**
 * Node destroys a session whose client broke the protocol (e.g. no SETTINGS after the preface) with GOAWAY
 * INTERNAL_ERROR; RFC 9113 (§3.4, §5.4.1) asks for PROTOCOL_ERROR, which tells the client the fault is its own.
 */
function goawayWithProtocolError(session: http2.ServerHttp2Session): void {
  const destroy = session.destroy.bind(session);
  session.destroy = (error?: Error, code?: number) =>
    destroy(error, code ?? ((error as { errno?: number } | undefined)?.errno === NGHTTP2_ERR_PROTO ? http2.constants.NGHTTP2_PROTOCOL_ERROR : undefined));
}

// Node's defaults, made explicit and with the reason in weft-proxy-error and the body: 431 for oversized
// headers, 408 for a client too slow to send them, 400 for anything the parser rejects.
function answerClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const why = `${err.message} (${err.code ?? 'no code'})`;
  writeRawError(
    socket,
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new ProxyError('headers-too-large', `the request headers are over ${MAX_HEADER_BYTES} bytes: ${why}`)
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ProxyError('header-timeout', `the request headers did not arrive in time: ${why}`)
        : new ProxyError('malformed-request', why),
  );
}
