// One HTTP/1 pool and one HTTP/2 session per endpoint, created on first use and shared by every request. Both
// caches forget (common/idle-cache.ts): an endpoint unused for WEFT_PROXY_IDLE_CACHE_TIMEOUT, or one discovery
// removed (forget()), has its pool or session closed, which lets the requests in flight on it finish first
// (undici's Pool.close, http2's session.close) and refuses new ones; a later request makes a fresh one.
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
   * Where a request to a discovered endpoint goes. HTTP/2 and gRPC travel over one h2 session per endpoint;
   * HTTP/1.x over a pool of kept-alive HTTP/1.1 connections. Either is mTLS when the endpoint has an identity
   * (a peer weft proxy).
   *
   * Why HTTP/1.1 and not h2 between proxies for HTTP/1 apps, measured side by side (`npm run bench`, two hops
   * with mTLS, HTTP/1.1 at 1k req/s): p99 39 ms over an h2 hop, 5.6 ms over HTTP/1.1, and half the proxies'
   * CPU. node:http2 costs far more per stream than Node's HTTP/1 parser and undici per request, and an HTTP/1
   * request gains nothing from multiplexing on the hop. A proxy still takes h2 from a peer that sends it
   * (weft-orig-proto says the request was HTTP/1 and is forwarded as such).
   */
  forRequest(endpoint: Endpoint, protocol: string): Http1Upstream | Http2Upstream {
    return protocol === 'HTTP/2' ? this.http2(endpoint) : this.http1(endpoint);
  }

  // get() first: a hit, the hot path, makes no closure.
  /** With an identity, the pool's connections are mTLS to a peer that must prove it. */
  http1(endpoint: Endpoint): Http1Upstream {
    const mapKey = keyOf(endpoint);
    return this.http1Clients.get(mapKey) ?? this.http1Clients.getOrCreate(mapKey, () => new Http1Upstream(endpoint, this.options));
  }

  /** With an identity, the session is mTLS to a peer that must prove it (if this proxy has one). */
  http2(endpoint: Endpoint): Http2Upstream {
    const mapKey = keyOf(endpoint);
    return this.http2Clients.get(mapKey) ?? this.http2Clients.getOrCreate(mapKey, () => new Http2Upstream(endpoint, this.options));
  }

  /** Discovery removed `endpoint`: close its pool and sessions now (after the requests in flight on them). */
  forget(endpoint: Endpoint): void {
    for (const key of new Set([endpoint.key, keyOf(endpoint)])) {
      this.http1Clients.delete(key);
      this.http2Clients.delete(key);
    }
  }

  async close(): Promise<void> {
    const pools = this.http1Clients.values();
    this.http1Clients.clear();
    this.http2Clients.clear();
    await Promise.all(pools.map((c) => c.close()));
  }
}

/** By address, and by identity too: a pool or session proves one identity for all its connections. */
const keyOf = (endpoint: Endpoint): string => (endpoint.identity === undefined ? endpoint.key : `${endpoint.key} ${endpoint.identity}`);
