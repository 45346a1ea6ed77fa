// One HTTP/1 pool and one HTTP/2 session per endpoint, created on first use and shared by every request. Both
// caches forget (common/idle-cache.ts): an endpoint unused for WEFT_PROXY_IDLE_CACHE_TIMEOUT, or one discovery
// removed (forget()), has its pool or session closed, which lets the requests in flight on it finish first
// (undici's Pool.close, http2's session.close) and refuses new ones; a later request makes a fresh one.
import type { HostPort } from '../../common/address';
import { IdleCache, IdlePolicy } from '../../common/idle-cache';
import type { Endpoint } from '../discovery/types';
import { Http1Upstream, UpstreamOptions } from './http1-upstream';
import { Http2Upstream } from './http2-upstream';

export class Upstreams {
  private readonly http1Clients: IdleCache<string, Http1Upstream>;
  /** By endpoint key, and by `key serverId` for mTLS sessions. */
  private readonly http2Clients: IdleCache<string, Http2Upstream>;

  constructor(
    private readonly options: UpstreamOptions,
    idle: IdlePolicy,
  ) {
    this.http1Clients = new IdleCache({ ...idle, onEvict: (client) => void client.close().catch(() => {}) });
    this.http2Clients = new IdleCache({ ...idle, onEvict: (client) => client.close() });
  }

  /**
   * Where a request to a discovered endpoint goes. Peers that are weft proxies (an identity to verify, or the
   * h2 hint) get every request over one h2 session, mTLS when the endpoint has an identity; plain servers get
   * what the app spoke.
   */
  forRequest(endpoint: Endpoint, protocol: string): Http1Upstream | Http2Upstream {
    if (endpoint.identity !== undefined) return this.http2(endpoint.addr, endpoint.key, endpoint.identity);
    if (endpoint.protocolHint === 'h2' || protocol === 'HTTP/2') return this.http2(endpoint.addr, endpoint.key);
    return this.http1(endpoint.addr, endpoint.key);
  }

  // get() first: a hit, the hot path, makes no closure.
  http1(addr: HostPort, key: string): Http1Upstream {
    return this.http1Clients.get(key) ?? this.http1Clients.getOrCreate(key, () => new Http1Upstream(addr, this.options));
  }

  /** With `serverId`, the session is mTLS to a peer that must prove that identity (if this proxy has one). */
  http2(addr: HostPort, key: string, serverId?: string): Http2Upstream {
    const mapKey = serverId === undefined ? key : `${key} ${serverId}`;
    return this.http2Clients.get(mapKey) ?? this.http2Clients.getOrCreate(mapKey, () => new Http2Upstream(addr, this.options, serverId));
  }

  /** Discovery removed `endpoint`: close its pool and sessions now (after the requests in flight on them). */
  forget(endpoint: Endpoint): void {
    this.http1Clients.delete(endpoint.key);
    this.http2Clients.delete(endpoint.key);
    if (endpoint.identity !== undefined) this.http2Clients.delete(`${endpoint.key} ${endpoint.identity}`);
  }

  async close(): Promise<void> {
    const pools = this.http1Clients.values();
    this.http1Clients.clear();
    this.http2Clients.clear();
    await Promise.all(pools.map((c) => c.close()));
  }
}
