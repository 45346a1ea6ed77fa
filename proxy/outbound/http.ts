// Outbound HTTP: route by authority (or weft-dst-override) through discovery, pick an endpoint, forward.
// Peers that are weft proxies get every request over one h2 session; plain servers get what the app spoke.
import type * as net from 'node:net';
import { formatHostPort } from '../../common/address';
import { DST_OVERRIDE } from '../../common/contract';
import type { EndpointPicker } from '../balance/round-robin';
import { Discovery, Endpoint, normalizeAuthority } from '../discovery/types';
import { ProxyError } from '../http/errors';
import type { ProxyRequest } from '../http/request';
import type { ResponseSink } from '../http/sink';
import type { TargetCache } from '../http/targets';
import type { Upstreams } from '../http/upstreams';
import { connectionInfo } from '../transport/connection-info';

export class OutboundHttp {
  /** Endpoints made from original destinations, for traffic discovery does not know: passed through as is. */
  private readonly passthrough = new Map<string, Endpoint>();

  constructor(
    private readonly discovery: Discovery,
    private readonly picker: EndpointPicker,
    private readonly upstreams: Upstreams,
    private readonly targets: TargetCache,
  ) {}

  handle(req: ProxyRequest, sink: ResponseSink, socket: net.Socket): void {
    const override = req.headers[DST_OVERRIDE];
    const authority = normalizeAuthority(typeof override === 'string' ? override : req.authority);
    if (override !== undefined) delete req.headers[DST_OVERRIDE];
    const endpoint = this.resolve(authority, socket);
    const target = this.targets.get(authority, endpoint instanceof ProxyError ? undefined : endpoint);
    sink.target = target;
    target.metrics.request();
    if (endpoint instanceof ProxyError) sink.fail(endpoint);
    else if (endpoint.protocolHint === 'h2' || req.protocol === 'HTTP/2') this.upstreams.http2(endpoint.addr, endpoint.key).send(req, sink);
    else this.upstreams.http1(endpoint.addr, endpoint.key).send(req, sink);
  }

  /**
   * The endpoint for an authority. Unknown to discovery but redirected by iptables: the original destination,
   * as the app meant it. Otherwise the error to answer with.
   */
  resolve(authority: string, socket: net.Socket): Endpoint | ProxyError {
    const service = this.discovery.resolve(authority);
    if (service) {
      return this.picker.pick(service) ?? new ProxyError('no-endpoints', `service ${authority} has no endpoints`);
    }
    const origDst = connectionInfo(socket)?.origDst;
    if (origDst) return this.passthroughTo(formatHostPort(origDst), origDst);
    return new ProxyError('unknown-authority', `no service is known for authority ${authority}`);
  }

  private passthroughTo(key: string, addr: Endpoint['addr']): Endpoint {
    let endpoint = this.passthrough.get(key);
    if (!endpoint) this.passthrough.set(key, (endpoint = { addr, key, labels: {} }));
    return endpoint;
  }
}
