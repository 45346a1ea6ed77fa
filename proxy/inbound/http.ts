// Inbound HTTP: forward to the app at the connection's original destination, or at
// WEFT_PROXY_INBOUND_APP_ADDR when there was no redirect. An HTTP/1 request that a peer proxy carried over h2
// (weft-orig-proto) becomes HTTP/1 again here. weft-* headers are dropped unless the caller proved a mesh
// identity over mTLS; metrics name that caller (`client_id`).
import type * as net from 'node:net';
import { formatHostPort, HostPort } from '../../common/address';
import { ORIG_PROTO, TLS_TRUE } from '../../common/contract';
import { IdleCache, IdlePolicy } from '../../common/idle-cache';
import type { Endpoint } from '../discovery/types';
import { normalizeAuthority } from '../discovery/types';
import { ProxyError } from '../http/errors';
import type { ProxyRequest } from '../http/request';
import type { ResponseSink } from '../http/sink';
import { TargetCache } from '../http/targets';
import type { Upstreams } from '../http/upstreams';
import { inboundLabels, noTls, NoTlsReason } from '../metrics/labels';
import type { ProxyRegistry } from '../metrics/registry';
import { connectionInfo } from '../transport/connection-info';

/** Client identities are verified, so bounded by the mesh; past this many they share one overflow entry. */
const MAX_CLIENT_IDS = 1000;
const OVERFLOW_CLIENT_ID = '_overflow';

export function noAppError(): ProxyError {
  return new ProxyError('no-endpoints', 'inbound connection has no original destination and WEFT_PROXY_INBOUND_APP_ADDR is not set');
}

export class InboundHttp {
  /** By original destination (any port of the pod may be one), so it forgets those unused for a while. */
  private readonly apps: IdleCache<string, Endpoint>;
  private readonly plainTargets: TargetCache;
  private readonly mtlsTargets: IdleCache<string, TargetCache>;

  constructor(
    private readonly appAddr: HostPort | undefined,
    private readonly upstreams: Upstreams,
    private readonly registry: ProxyRegistry,
    /** What plaintext callers are labelled with: from outside the mesh, or identity disabled here. */
    plainReason: NoTlsReason,
    private readonly idle: IdlePolicy,
  ) {
    this.apps = new IdleCache(idle);
    this.plainTargets = new TargetCache(registry, (authority, app) => inboundLabels(authority, app, noTls(plainReason)), idle);
    // A client identity unused for the idle timeout has only idle targets left.
    this.mtlsTargets = new IdleCache({ ...idle, onEvict: (targets) => targets.clear() });
  }

  /** Where this connection's traffic goes: the original destination, else the configured app address. */
  app(socket: net.Socket): Endpoint | undefined {
    const addr = connectionInfo(socket)?.origDst ?? this.appAddr;
    return addr ? this.appAt(addr) : undefined;
  }

  /** The app for an opaque-transport connection, whose header named the port (`host` is our own address). */
  transportApp(host: string, port: number): Endpoint {
    return this.appAt(this.appAddr ?? { host, port });
  }

  handle(req: ProxyRequest, sink: ResponseSink, socket: net.Socket): void {
    const app = this.app(socket);
    const clientId = connectionInfo(socket)?.clientId;
    const target = this.targetsFor(clientId).get(normalizeAuthority(req.authority), app);
    sink.target = target;
    target.metrics.request();
    if (!app) {
      sink.fail(noAppError());
      return;
    }
    // Only a peer that proved its identity may pass weft-* headers on; from anyone else they could be forged.
    // weft-orig-proto is between the two proxies only, and has done its job once the request is here.
    const dropWeftHeaders = clientId === undefined;
    if (!dropWeftHeaders && req.headers[ORIG_PROTO] !== undefined) delete req.headers[ORIG_PROTO];
    if (req.protocol === 'HTTP/2') this.upstreams.http2(app.addr, app.key).send(req, sink, dropWeftHeaders);
    else this.upstreams.http1(app.addr, app.key).send(req, sink, dropWeftHeaders);
  }

  private appAt(addr: HostPort): Endpoint {
    const key = formatHostPort(addr);
    return this.apps.get(key) ?? this.apps.getOrCreate(key, () => ({ addr, key, labels: {} }));
  }

  private targetsFor(clientId: string | undefined): TargetCache {
    if (clientId === undefined) return this.plainTargets;
    const known = this.mtlsTargets.get(clientId);
    if (known) return known;
    const id = this.mtlsTargets.size >= MAX_CLIENT_IDS ? OVERFLOW_CLIENT_ID : clientId;
    return this.mtlsTargets.getOrCreate(id, () => {
      const tls = { tls: TLS_TRUE, client_id: id } as const;
      return new TargetCache(this.registry, (authority, app) => inboundLabels(authority, app, tls), this.idle);
    });
  }
}
