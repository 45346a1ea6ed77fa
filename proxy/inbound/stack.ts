// The inbound path, traffic from other pods to this app:
//   accept (0.0.0.0:4143, or iptables REDIRECT) → original destination or INBOUND_APP_ADDR → detect
//     HTTP/1, h2 → (h2 from a peer proxy with weft-orig-proto → HTTP/1) → app
//     Upgrade, opaque → connect to the app → splice bytes
import type * as net from 'node:net';
import type { HostPort } from '../../common/address';
import { TLS_NO_IDENTITY } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { Config } from '../config';
import { ProxyError, upstreamError } from '../http/errors';
import { writeRawError } from '../http/raw-response';
import { createHttpServers } from '../http/servers';
import { TargetCache } from '../http/targets';
import { Upstreams } from '../http/upstreams';
import { forwardUpgrade } from '../http/upgrade';
import { inboundLabels } from '../metrics/labels';
import type { ProxyRegistry } from '../metrics/registry';
import { trackConnection } from '../metrics/tcp';
import { acceptConnection } from '../transport/accept';
import { connectTo, splice } from '../transport/opaque';
import { InboundHttp, noAppError } from './http';

export function createInbound(config: Config, registry: ProxyRegistry, log: Logger) {
  const onUpstream = (socket: net.Socket, endpoint: string) =>
    trackConnection(registry, socket, { direction: 'inbound', peer: 'dst', target_addr: endpoint, tls: TLS_NO_IDENTITY });
  const upstreams = new Upstreams({ connectTimeoutMs: config.inboundConnectTimeoutMs, onConnection: onUpstream });
  const http = new InboundHttp(config.inboundAppAddr, upstreams, new TargetCache(registry, inboundLabels));

  async function opaque(socket: net.Socket): Promise<void> {
    const app = http.app(socket);
    if (!app) return void socket.destroy();
    try {
      const upstream = await connectTo(app.addr, config.inboundConnectTimeoutMs);
      onUpstream(upstream, app.key);
      await splice(socket, upstream);
    } catch (err) {
      log.warn({ endpoint: app.key, error: upstreamError(err as Error, app.key).message }, 'inbound opaque connection failed');
      socket.destroy();
    }
  }

  const servers = createHttpServers(
    {
      request: (req, sink, socket) => http.handle(req, sink, socket),
      connect: (_req, socket) => writeRawError(socket, new ProxyError('upstream-protocol-error', 'CONNECT is only accepted on the outbound port')),
      upgrade: (req, socket, head) => {
        const app = http.app(req.socket);
        if (!app) return writeRawError(socket, noAppError());
        void forwardUpgrade(req, socket, head, app.addr, app.key, config.inboundConnectTimeoutMs);
      },
    },
    config.httpHeaderTimeoutMs,
    log,
  );

  const appPort = (origDst: HostPort | undefined) => (origDst ?? config.inboundAppAddr)?.port;
  return {
    servers,
    upstreams,
    onConnection(socket: net.Socket): void {
      trackConnection(registry, socket, { direction: 'inbound', peer: 'src', tls: TLS_NO_IDENTITY });
      acceptConnection(socket, {
        servers,
        detectTimeoutMs: config.detectProtocolTimeoutMs,
        isOpaque: (origDst) => config.inboundOpaquePorts.has(appPort(origDst) ?? 0),
        opaque: (s) => void opaque(s),
      });
    },
  };
}
