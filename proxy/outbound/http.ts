// Outbound HTTP: route by authority (or weft-dst-override) through discovery. A known service's requests go
// through the balancer, retries and timeouts (service-request.ts); traffic discovery does not know, redirected
// by iptables, goes to its original destination as is. Peers that are weft proxies get every request over one
// h2 session; plain servers get what the app spoke.
import type * as net from 'node:net';
import { formatHostPort } from '../../common/address';
import { DST_OVERRIDE } from '../../common/contract';
import { IdleCache, IdlePolicy } from '../../common/idle-cache';
import { Discovery, Endpoint, normalizeAuthority } from '../discovery/types';
import { ProxyError } from '../http/errors';
import type { ProxyRequest } from '../http/request';
import type { ResponseSink } from '../http/sink';
import { connectionInfo } from '../transport/connection-info';
import { ServiceRequest, ServiceRequestDeps } from './service-request';

export class OutboundHttp {
  /**
   * Endpoints made from original destinations, for traffic discovery does not know: passed through as is. Any
   * address the app dials lands here, so it forgets those unused for the idle timeout.
   */
  private readonly passthrough: IdleCache<string, Endpoint>;

  constructor(
    private readonly discovery: Discovery,
    idle: IdlePolicy,
    private readonly deps: ServiceRequestDeps,
  ) {
    this.passthrough = new IdleCache(idle);
  }

  handle(req: ProxyRequest, sink: ResponseSink, socket: net.Socket): void {
    const override = req.headers[DST_OVERRIDE];
    const authority = normalizeAuthority(typeof override === 'string' ? override : req.authority);
    if (override !== undefined) delete req.headers[DST_OVERRIDE];
    // An authority discovery has not been asked about yet: its first request waits for the first answer.
    const firstAnswer = this.discovery.firstAnswer?.(authority);
    if (firstAnswer) void firstAnswer.then(req.guard.wrap(() => this.route(req, sink, socket, authority)));
    else this.route(req, sink, socket, authority);
  }

  private route(req: ProxyRequest, sink: ResponseSink, socket: net.Socket, authority: string): void {
    const service = this.discovery.resolve(authority);
    if (service) return new ServiceRequest(req, sink, service, this.deps).start();

    const endpoint = this.unknownAuthority(authority, socket);
    const target = this.deps.targets.get(authority, endpoint instanceof ProxyError ? undefined : endpoint);
    sink.target = target;
    target.metrics.request();
    if (endpoint instanceof ProxyError) sink.fail(endpoint);
    else this.deps.upstreams.forRequest(endpoint, req.protocol).send(req, sink);
  }

  /**
   * An endpoint for a connection-level path (CONNECT, Upgrade, opaque TCP): one the balancer picks for a known
   * service, else as for unknown authorities. Otherwise the error to answer with.
   */
  async resolve(authority: string, socket: net.Socket): Promise<Endpoint | ProxyError> {
    await this.discovery.firstAnswer?.(authority);
    const service = this.discovery.resolve(authority);
    if (!service) return this.unknownAuthority(authority, socket);
    return this.deps.balancer.pickNow(service) ?? new ProxyError('no-endpoints', `service ${authority} has no available endpoints`);
  }

  /** Unknown to discovery but redirected by iptables: the original destination, as the app meant it. */
  private unknownAuthority(authority: string, socket: net.Socket): Endpoint | ProxyError {
    const origDst = connectionInfo(socket)?.origDst;
    if (origDst) return this.passthroughTo(formatHostPort(origDst), origDst);
    return new ProxyError('unknown-authority', `no service is known for authority ${authority}`);
  }

  private passthroughTo(key: string, addr: Endpoint['addr']): Endpoint {
    return this.passthrough.get(key) ?? this.passthrough.getOrCreate(key, () => ({ addr, key, labels: {} }));
  }
}
