// Inbound HTTP: forward to the app at the connection's original destination, or at
// WEFT_PROXY_INBOUND_APP_ADDR when there was no redirect (apps.ts decides, and refuses forbidden ports). An
// HTTP/1 request that a peer proxy carried over h2 (weft-orig-proto) becomes HTTP/1 again here. weft-* headers are dropped unless the caller proved a mesh
// identity over mTLS; metrics name that caller (`client_id`).
import type * as net from 'node:net';
import { ORIG_PROTO, TLS_TRUE } from '../../common/contract';
import { IdleCache, IdlePolicy } from '../../common/idle-cache';
import { normalizeAuthority } from '../discovery/types';
import { ProxyError } from '../http/errors';
import type { ProxyRequest } from '../http/request';
import type { ResponseSink } from '../http/sink';
import { TargetCache } from '../http/targets';
import type { Upstreams } from '../http/upstreams';
import { inboundLabels, noTls, NoTlsReason } from '../metrics/labels';
import type { ProxyRegistry } from '../metrics/registry';
import { connectionInfo } from '../transport/connection-info';
import type { InboundApps } from './apps';

/** Client identities are verified, so bounded by the mesh; past this many they share one overflow entry. */
const MAX_CLIENT_IDS = 1000;
const OVERFLOW_CLIENT_ID = '_overflow';

export class InboundHttp {
  private readonly plainTargets: TargetCache;
  private readonly mtlsTargets: IdleCache<string, TargetCache>;

  constructor(
    private readonly apps: InboundApps,
    private readonly upstreams: Upstreams,
    private readonly registry: ProxyRegistry,
    /** What plaintext callers are labelled with: from outside the mesh, or identity disabled here. */
    plainReason: NoTlsReason,
    private readonly idle: IdlePolicy,
  ) {
    this.plainTargets = new TargetCache(registry, (authority, app) => inboundLabels(authority, app, noTls(plainReason)), idle);
    // A client identity unused for the idle timeout has only idle targets left.
    this.mtlsTargets = new IdleCache({ ...idle, onEvict: (targets) => targets.clear() });
  }

  handle(req: ProxyRequest, sink: ResponseSink, socket: net.Socket): void {
    const app = this.apps.forConnection(socket);
    const clientId = connectionInfo(socket)?.clientId;
    const target = this.targetsFor(clientId).get(normalizeAuthority(req.authority), app instanceof ProxyError ? undefined : app);
    sink.target = target;
    target.metrics.request();
    if (app instanceof ProxyError) {
      sink.fail(app);
      return;
    }
    // Only a peer that proved its identity may pass weft-* headers on; from anyone else they could be forged.
    // weft-orig-proto is between the two proxies only, and has done its job once the request is here.
    const dropWeftHeaders = clientId === undefined;
    if (!dropWeftHeaders && req.headers[ORIG_PROTO] !== undefined) delete req.headers[ORIG_PROTO];
    if (req.protocol === 'HTTP/2') this.upstreams.http2(app).send(req, sink, dropWeftHeaders);
    else this.upstreams.http1(app).send(req, sink, dropWeftHeaders);
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
