// HTTP/1.1 to one endpoint through an undici Pool (keep-alive connections, reused across requests): an app, or
// a peer weft proxy over mTLS (ALPN http/1.1) when the request is HTTP/1.1 (upstreams.ts says why).
import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import type { Endpoint } from '../discovery/types';
import { Clock, systemClock } from '../../common/clock';
import type { FaultReporter, Guard } from '../transport/guard';
import type { MtlsConnector } from '../transport/tls-connect';
import { ProxyError, upstreamError } from './errors';
import { forwardHeaders, Headers, responseHeaders } from './headers';
import type { ProxyRequest } from './request';
import { PEER_POOL_LIMITS, PeerPoolLimits } from './peer-pool-limits';
import { RequestSlots, SlotTicket } from './request-slots';
import { UNDICI_CONNECT_MODULE, UNDICI_POOL_MODULE } from './undici-modules';
import type { UpstreamSink } from './sink';

// undici's index loads fetch, WebSocket, caches, mocks and interceptors as well: ~18 MB of RSS in an idle
// proxy, where Pool and its connector alone cost ~9 MB (bench/module-cost.ts). The proxy only dispatches
// through a Pool, so it requires just those two modules (undici has no `exports` map;
// test/unit/proxy/http/undici-modules.test.ts fails if an upgrade moves them). The types are undici's public ones.
const Pool = require(UNDICI_POOL_MODULE) as typeof Undici.Pool;
type Pool = Undici.Pool;
const buildConnector = require(UNDICI_CONNECT_MODULE) as typeof Undici.buildConnector;

export interface UpstreamOptions {
  connectTimeoutMs: number;
  /** Called with every new connection to an endpoint (for TCP metrics); `serverId` when it is mTLS. */
  onConnection?: (socket: Socket, endpoint: Endpoint, serverId?: string) => void;
  /** Originates mTLS to endpoints with an identity; absent when the proxy runs without identity. */
  mtls?: MtlsConnector;
  /** Reports faults of what no request owns, e.g. an h2 session's own events. */
  faults: FaultReporter;
  /** Pools to peer proxies (mTLS); PEER_POOL_LIMITS unless a test says otherwise. */
  peerLimits?: PeerPoolLimits;
  /** For the drain deadline of cancelled requests. */
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

export class Http1Upstream {
  private readonly pool: Pool;
  private readonly key: string;
  /** Only to a peer proxy (see PeerPoolLimits). */
  private readonly peer?: { slots: RequestSlots; limits: PeerPoolLimits; clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> };

  /** With an identity, every connection is mTLS to a peer proxy that must prove it. */
  constructor(endpoint: Endpoint, options: UpstreamOptions) {
    const { addr, identity: serverId } = endpoint;
    this.key = endpoint.key;
    // undici is loaded at start-up although it costs an idle proxy ~10 MB of RSS: loaded with the first HTTP/1
    // endpoint, the tens of milliseconds it takes to compile landed in that endpoint's first latency sample,
    // and peak-EWMA then steered around a healthy endpoint for seconds. Every meshed pod needs it (inbound
    // HTTP/1 to its app), so loading it late would save memory in benchmarks only.
    const mtls = serverId !== undefined ? options.mtls : undefined;
    const plain = buildConnector({ timeout: options.connectTimeoutMs, noDelay: true });
    const connect: Undici.buildConnector.connector = mtls
      ? (_opts, cb) => {
          mtls.connect(addr, serverId!, 'http/1.1', options.connectTimeoutMs).then(
            (socket) => {
              options.onConnection?.(socket, endpoint, serverId);
              cb(null, socket);
            },
            (err: Error) => cb(err, null),
          );
        }
      : options.onConnection
        ? (opts, cb) =>
            plain(opts, (err, socket) => {
              if (socket) options.onConnection!(socket as Socket, endpoint);
              (cb as (e: Error | null, s: unknown) => void)(err, socket);
            })
        : plain;
    const limits = mtls ? (options.peerLimits ?? PEER_POOL_LIMITS) : undefined;
    if (limits) this.peer = { slots: new RequestSlots(limits.maxConnections, limits.maxQueued), limits, clock: options.clock ?? systemClock };
    this.pool = new Pool(`http://${this.key}`, {
      // Requests are streams of unbounded length (long polls, downloads): timeouts are the route's business.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 60_000,
      // The slots keep requests on the wire within this; undici's own queue only ever holds them for a moment.
      ...(limits ? { connections: limits.maxConnections } : {}),
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
    const options: Dispatcher.DispatchOptions = { method: req.method, path: req.path, headers, body };
    const peer = this.peer;
    if (!peer) return void this.pool.dispatch(options, new ForwardHandler(sink, this.key, req.guard));
    const ticket: SlotTicket = new SlotTicket(req.guard.wrap((): void => handler.dispatch(this.pool, options)));
    const handler: ForwardHandler = new ForwardHandler(sink, this.key, req.guard, { slots: peer.slots, ticket, limits: peer.limits, clock: peer.clock });
    if (!peer.slots.enter(ticket)) {
      sink.fail(new ProxyError('load-shed', `${peer.limits.maxConnections} requests to ${this.key} are on the wire and ${peer.limits.maxQueued} more wait for a connection; shedding load`));
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** A request to a peer proxy: its slot, and what to do when its client goes away (PeerPoolLimits). */
interface PeerRequest {
  slots: RequestSlots;
  ticket: SlotTicket;
  limits: PeerPoolLimits;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

/**
 * Relays undici's response callbacks to the sink, pausing the upstream when the client reads slowly. Every
 * callback runs in the request's guard (a throw inside undici's parser would otherwise end up anywhere). To a
 * peer proxy it also holds the request's slot until the response is over, and drains the response of a client
 * that went away.
 */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private headers?: Headers;
  private controller?: Dispatcher.DispatchController;
  private paused = false;
  /** The client went away while the request was on the wire; the response is being read and thrown away. */
  private draining?: { bytesLeft: number; timer: NodeJS.Timeout };
  /** Cut as soon as undici hands over the request's controller. */
  private cutPending = false;
  private over = false;

  constructor(
    private readonly sink: UpstreamSink,
    private readonly endpoint: string,
    private readonly guard: Guard,
    private readonly peer?: PeerRequest,
  ) {
    sink.onAbort(guard.wrap(() => this.clientLeft()));
  }

  /** Sends a peer request once it holds a slot. */
  dispatch(pool: Pool, options: Dispatcher.DispatchOptions): void {
    try {
      pool.dispatch(options, this);
    } catch (err) {
      this.finish();
      throw err;
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    try {
      this.controller = controller;
      if (this.cutPending) controller.abort(new Error('client went away'));
    } catch (err) {
      this.guard.fault(err);
    }
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (this.draining) return;
    try {
      if (statusCode < 200) return this.sink.informational(statusCode, responseHeaders(headers));
      this.headers = responseHeaders(headers);
      this.sink.head(statusCode, this.headers);
    } catch (err) {
      this.guard.fault(err);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const draining = this.draining;
    if (draining) {
      draining.bytesLeft -= chunk.length;
      if (draining.bytesLeft < 0) this.cut();
      return;
    }
    try {
      if (!this.sink.data(chunk)) {
        this.paused = true;
        controller.pause();
        this.sink.onDrain(this.guard.wrap(() => this.resume()));
      }
    } catch (err) {
      this.guard.fault(err);
    }
  }

  onResponseEnd(_c: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    const draining = this.draining;
    this.finish();
    if (draining) return;
    try {
      this.sink.end(trailers ? responseHeaders(trailers) : undefined, this.headers);
    } catch (err) {
      this.guard.fault(err);
    }
  }

  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    const draining = this.draining;
    this.finish();
    if (draining) return;
    try {
      this.sink.fail(upstreamError(error, this.endpoint));
    } catch (err) {
      this.guard.fault(err);
    }
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.controller?.resume();
  }

  /**
   * The client went away. To the app the connection goes with it, as it would without the mesh; to a peer proxy
   * the request leaves the queue, or its response is drained within the limits (PeerPoolLimits says why).
   */
  private clientLeft(): void {
    if (this.over || this.draining) return;
    const peer = this.peer;
    if (!peer) return this.cut();
    if (peer.slots.withdraw(peer.ticket)) return;
    const { drainBytes, drainMs } = peer.limits;
    this.draining = { bytesLeft: drainBytes, timer: peer.clock.setTimeout(this.guard.wrap(() => this.cut()), drainMs) };
    // Nobody reads the response any more: a pause waiting for the client's drain would never end.
    this.resume();
  }

  /** Gives the connection up: at once, or as soon as undici hands over the request's controller. */
  private cut(): void {
    if (this.over) return;
    if (this.controller) this.controller.abort(new Error(this.draining ? 'client went away and the response exceeded the drain limits' : 'client went away'));
    else this.cutPending = true;
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    if (this.draining) this.peer!.clock.clearTimeout(this.draining.timer);
    if (this.peer) this.peer.slots.release(this.peer.ticket);
  }
}
