// One HTTP/1 pool and one HTTP/2 session per endpoint, created on first use and shared by every request.
import type { HostPort } from '../../common/address';
import type { Endpoint } from '../discovery/types';
import { Http1Upstream, UpstreamOptions } from './http1-upstream';
import { Http2Upstream } from './http2-upstream';

export class Upstreams {
  private readonly http1Clients = new Map<string, Http1Upstream>();
  private readonly http2Clients = new Map<string, Http2Upstream>();

  constructor(private readonly options: UpstreamOptions) {}

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

  http1(addr: HostPort, key: string): Http1Upstream {
    let client = this.http1Clients.get(key);
    if (!client) this.http1Clients.set(key, (client = new Http1Upstream(addr, this.options)));
    return client;
  }

  /** With `serverId`, the session is mTLS to a peer that must prove that identity (if this proxy has one). */
  http2(addr: HostPort, key: string, serverId?: string): Http2Upstream {
    const mapKey = serverId === undefined ? key : `${key} ${serverId}`;
    let client = this.http2Clients.get(mapKey);
    if (!client) this.http2Clients.set(mapKey, (client = new Http2Upstream(addr, this.options, serverId)));
    return client;
  }

  async close(): Promise<void> {
    for (const client of this.http2Clients.values()) client.close();
    await Promise.all([...this.http1Clients.values()].map((c) => c.close()));
  }
}
