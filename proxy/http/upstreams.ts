// One HTTP/1 pool and one HTTP/2 session per endpoint, created on first use and shared by every request.
import type { HostPort } from '../../common/address';
import { Http1Upstream, UpstreamOptions } from './http1-upstream';
import { Http2Upstream } from './http2-upstream';

export class Upstreams {
  private readonly http1Clients = new Map<string, Http1Upstream>();
  private readonly http2Clients = new Map<string, Http2Upstream>();

  constructor(private readonly options: UpstreamOptions) {}

  http1(addr: HostPort, key: string): Http1Upstream {
    let client = this.http1Clients.get(key);
    if (!client) this.http1Clients.set(key, (client = new Http1Upstream(addr, this.options)));
    return client;
  }

  http2(addr: HostPort, key: string): Http2Upstream {
    let client = this.http2Clients.get(key);
    if (!client) this.http2Clients.set(key, (client = new Http2Upstream(addr, this.options)));
    return client;
  }

  async close(): Promise<void> {
    for (const client of this.http2Clients.values()) client.close();
    await Promise.all([...this.http1Clients.values()].map((c) => c.close()));
  }
}
