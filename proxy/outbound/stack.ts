// The outbound path, the app's own requests, in one place:
//   accept (127.0.0.1:4140, or iptables REDIRECT) → original destination → detect
//     HTTP/1, h2 → resolve authority (discovery) → pick endpoint → HTTP/1 pool or h2 session → endpoint
//     CONNECT, Upgrade, opaque → resolve → connect → splice bytes
// Metrics: TCP per connection (tcp.ts), HTTP per target (targets.ts), recorded in the response sinks.
import type * as net from 'node:net';
import { TLS_NO_IDENTITY } from '../../common/contract';
import type { Logger } from '../../common/log';
import { RoundRobin } from '../balance/round-robin';
import type { Config } from '../config';
import type { Discovery } from '../discovery/types';
import { createHttpServers, HttpServers } from '../http/servers';
import { TargetCache } from '../http/targets';
import { Upstreams } from '../http/upstreams';
import { outboundLabels } from '../metrics/labels';
import type { ProxyRegistry } from '../metrics/registry';
import { trackConnection } from '../metrics/tcp';
import { acceptConnection } from '../transport/accept';
import { OutboundHttp } from './http';
import { OutboundTcp } from './tcp';

export function createOutbound(config: Config, discovery: Discovery, registry: ProxyRegistry, log: Logger) {
  const onUpstream = (socket: net.Socket, endpoint: string) =>
    trackConnection(registry, socket, { direction: 'outbound', peer: 'dst', target_addr: endpoint, tls: TLS_NO_IDENTITY });
  const upstreams = new Upstreams({ connectTimeoutMs: config.outboundConnectTimeoutMs, onConnection: onUpstream });
  const http = new OutboundHttp(discovery, new RoundRobin(), upstreams, new TargetCache(registry, outboundLabels));
  const tcp = new OutboundTcp(http, config.outboundConnectTimeoutMs, log, onUpstream);
  const servers: HttpServers = createHttpServers(
    {
      request: (req, sink, socket) => http.handle(req, sink, socket),
      connect: (req, socket, head) => void tcp.connect(req, socket, head),
      upgrade: (req, socket, head) => void tcp.upgrade(req, socket, head),
    },
    config.httpHeaderTimeoutMs,
    log,
  );
  return {
    servers,
    upstreams,
    onConnection(socket: net.Socket): void {
      trackConnection(registry, socket, { direction: 'outbound', peer: 'src', tls: TLS_NO_IDENTITY });
      acceptConnection(socket, {
        servers,
        detectTimeoutMs: config.detectProtocolTimeoutMs,
        isOpaque: (origDst) => origDst !== undefined && config.outboundOpaquePorts.has(origDst.port),
        opaque: (s, origDst) => void tcp.opaque(s, origDst),
      });
    },
  };
}
