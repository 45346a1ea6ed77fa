// Inbound HTTP: forward to the app at the connection's original destination, or at
// WEFT_PROXY_INBOUND_APP_ADDR when there was no redirect. An HTTP/1 request that a peer proxy carried over h2
// (weft-orig-proto) becomes HTTP/1 again here; weft-* headers from outside the mesh are dropped.
import type * as net from 'node:net';
import { formatHostPort, HostPort } from '../../common/address';
import type { Endpoint } from '../discovery/types';
import { normalizeAuthority } from '../discovery/types';
import { ProxyError } from '../http/errors';
import type { ProxyRequest } from '../http/request';
import type { ResponseSink } from '../http/sink';
import type { TargetCache } from '../http/targets';
import type { Upstreams } from '../http/upstreams';
import { connectionInfo } from '../transport/connection-info';

export function noAppError(): ProxyError {
  return new ProxyError('no-endpoints', 'inbound connection has no original destination and WEFT_PROXY_INBOUND_APP_ADDR is not set');
}

export class InboundHttp {
  private readonly apps = new Map<string, Endpoint>();

  constructor(
    private readonly appAddr: HostPort | undefined,
    private readonly upstreams: Upstreams,
    private readonly targets: TargetCache,
  ) {}

  /** Where this connection's traffic goes: the original destination, else the configured app address. */
  app(socket: net.Socket): Endpoint | undefined {
    const addr = connectionInfo(socket)?.origDst ?? this.appAddr;
    if (!addr) return undefined;
    const key = formatHostPort(addr);
    let app = this.apps.get(key);
    if (!app) this.apps.set(key, (app = { addr, key, labels: {} }));
    return app;
  }

  handle(req: ProxyRequest, sink: ResponseSink, socket: net.Socket): void {
    const app = this.app(socket);
    const target = this.targets.get(normalizeAuthority(req.authority), app);
    sink.target = target;
    target.metrics.request();
    if (!app) {
      sink.fail(noAppError());
      return;
    }
    // Until mTLS tells peers apart ([identity]), every caller counts as outside the mesh.
    if (req.protocol === 'HTTP/2') this.upstreams.http2(app.addr, app.key).send(req, sink, true);
    else this.upstreams.http1(app.addr, app.key).send(req, sink, true);
  }
}
