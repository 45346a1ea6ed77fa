// The inbound path, traffic from other pods to this app:
//   accept (0.0.0.0:4143, or iptables REDIRECT) → TLS? (tls.ts; only with an identity)
//     mTLS for us → terminate, verify the client → by ALPN:
//        h2 → HTTP/2 server; transport.weft.io/v1 → transport header names the port → app (opaque);
//        else → detect inside the TLS stream
//     plaintext, or TLS for another name (passthru) → original destination or INBOUND_APP_ADDR → detect
//   detect: HTTP/1, h2 → (h2 from a peer proxy with weft-orig-proto → HTTP/1) → app
//           Upgrade, opaque → connect to the app → splice bytes
//   every port connected to passes apps.ts (allowed-port.ts): never the proxy's own, only INBOUND_PORTS if set
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type * as tls from 'node:tls';
import type { HostPort } from '../../common/address';
import { systemClock } from '../../common/clock';
import { OPAQUE_TRANSPORT_ALPN } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { Config } from '../config';
import type { Endpoint } from '../discovery/types';
import { ProxyError, upstreamError } from '../http/errors';
import { writeRawError } from '../http/raw-response';
import { createHttpServers } from '../http/servers';
import { Upstreams } from '../http/upstreams';
import { forwardUpgrade } from '../http/upgrade';
import type { LocalIdentity } from '../identity/local-identity';
import { NO_TLS_REASON, noTls, NoTlsReason } from '../metrics/labels';
import type { ProxyRegistry } from '../metrics/registry';
import { trackConnection } from '../metrics/tcp';
import { tapGate } from '../tap/gate';
import { acceptConnection, AcceptOptions, serveDetected } from '../transport/accept';
import { setConnectionInfo } from '../transport/connection-info';
import { connectionGuard, FaultReporter } from '../transport/guard';
import { connectTo, splice } from '../transport/opaque';
import { originalDestination } from '../transport/original-dst';
import { readTransportHeader } from '../transport/transport-header';
import type { ProxyPortName } from './allowed-port';
import { InboundApps } from './apps';
import { InboundHttp } from './http';
import { InboundTls } from './tls';

/** `proxyPorts`: the proxy's own ports, which inbound never connects to (filled in as the listeners bind). */
export function createInbound(config: Config, registry: ProxyRegistry, log: Logger, proxyPorts: ReadonlyMap<number, ProxyPortName>, identity?: LocalIdentity) {
  const faults = new FaultReporter(log, registry.internalErrorsTotal, 'inbound');
  const onUpstream = (socket: net.Socket, app: Endpoint) =>
    trackConnection(registry, socket, { direction: 'inbound', peer: 'dst', target_addr: app.key, ...noTls(NO_TLS_REASON.loopback) });
  const idle = { idleMs: config.idleCacheTimeoutMs, clock: systemClock };
  const upstreams = new Upstreams({ connectTimeoutMs: config.inboundConnectTimeoutMs, onConnection: onUpstream, faults }, idle);
  const apps = new InboundApps(config.inboundAppAddr, { proxyPorts, appPorts: config.inboundPorts }, registry, log, idle);
  const http = new InboundHttp(apps, upstreams, registry, identity ? NO_TLS_REASON.fromRemote : NO_TLS_REASON.disabled, idle);

  async function forward(socket: Duplex, app: Endpoint | ProxyError): Promise<void> {
    if (app instanceof ProxyError) return void socket.destroy(); // opaque bytes have no way to say why
    try {
      const upstream = await connectTo(app.addr, config.inboundConnectTimeoutMs);
      onUpstream(upstream, app);
      await splice(socket, upstream);
    } catch (err) {
      log.warn({ endpoint: app.key, error: upstreamError(err as Error, app.key).message }, 'inbound opaque connection failed');
      socket.destroy();
    }
  }

  /** Opaque TCP from a peer proxy: the transport header says which port of ours it is for. */
  async function fromTransport(socket: tls.TLSSocket, localAddress: string): Promise<void> {
    let port: number;
    try {
      port = await readTransportHeader(socket, config.detectProtocolTimeoutMs);
    } catch (err) {
      log.warn({ client: socket.remoteAddress, error: (err as Error).message }, 'inbound opaque transport refused');
      return void socket.destroy();
    }
    await forward(socket, apps.forTransport(socket, localAddress, port));
  }

  const servers = createHttpServers(
    {
      request: (req, sink, socket) => {
        if (tapGate.open) tapGate.observe('inbound', req, sink, socket);
        http.handle(req, sink, socket);
      },
      connect: (_req, socket) => writeRawError(socket, new ProxyError('upstream-protocol-error', 'CONNECT is only accepted on the outbound port')),
      upgrade: (req, socket, head) => {
        const app = apps.forConnection(req.socket);
        if (app instanceof ProxyError) return writeRawError(socket, app);
        return forwardUpgrade(req, socket, head, () => connectTo(app.addr, config.inboundConnectTimeoutMs), app.key);
      },
    },
    { headerTimeoutMs: config.httpHeaderTimeoutMs, maxHeaders: config.httpMaxHeaders, maxConcurrentStreams: config.http2MaxConcurrentStreams, faults, clock: systemClock },
    log,
  );

  const appPort = (origDst: HostPort | undefined) => (origDst ?? config.inboundAppAddr)?.port;
  const detected: AcceptOptions = {
    servers,
    detectTimeoutMs: config.detectProtocolTimeoutMs,
    faults,
    isOpaque: (origDst) => config.inboundOpaquePorts.has(appPort(origDst) ?? 0),
    opaque: (s) => forward(s, apps.forConnection(s)),
  };
  const passthrough: AcceptOptions = { ...detected, isOpaque: () => true };

  const plain = (socket: net.Socket, reason: NoTlsReason): void => {
    trackConnection(registry, socket, { direction: 'inbound', peer: 'src', ...noTls(reason) });
    acceptConnection(socket, reason === NO_TLS_REASON.passthru ? passthrough : detected);
  };
  const terminated = (socket: tls.TLSSocket, raw: net.Socket, clientId: string): void => {
    const origDst = originalDestination(raw);
    setConnectionInfo(socket, { origDst, clientId });
    socket.on('error', () => {}); // as for plaintext: the socket's next owner reports failures
    if (socket.alpnProtocol === OPAQUE_TRANSPORT_ALPN) return connectionGuard(socket, faults).run(fromTransport, socket, raw.localAddress ?? '127.0.0.1');
    if (socket.alpnProtocol === 'h2') return void servers.http2.emit('connection', socket);
    serveDetected(socket, origDst, detected); // HTTP/1.1 (an Upgrade between proxies) or no ALPN
  };
  const inboundTls = identity ? new InboundTls(identity, config.detectProtocolTimeoutMs, registry, log, faults, { plain, terminated }) : undefined;

  return {
    servers,
    upstreams,
    onConnection(socket: net.Socket): void {
      const guard = connectionGuard(socket, faults);
      guard.run(() => (inboundTls ? inboundTls.onConnection(socket, guard) : plain(socket, NO_TLS_REASON.disabled)));
    },
  };
}
