// Outbound paths that end up as opaque bytes: undetected traffic to an original destination, CONNECT
// tunnels, and HTTP Upgrade. Each resolves its target through discovery like an HTTP request would. To an
// endpoint with an identity the bytes travel over mTLS: ALPN transport.weft.io/v1 plus a header naming the
// port the app meant (opaque, CONNECT), or ALPN http/1.1 (Upgrade, which the far proxy serves as HTTP).
import type { IncomingMessage } from 'node:http';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { formatHostPort, HostPort } from '../../common/address';
import { OPAQUE_TRANSPORT_ALPN } from '../../common/contract';
import type { Logger } from '../../common/log';
import { Endpoint, normalizeAuthority } from '../discovery/types';
import { ProxyError, upstreamError } from '../http/errors';
import { writeRawError } from '../http/raw-response';
import { http1Target } from '../http/request';
import { forwardUpgrade } from '../http/upgrade';
import { connectTo, splice } from '../transport/opaque';
import type { MtlsConnector } from '../transport/tls-connect';
import { encodeTransportHeader } from '../transport/transport-header';
import type { OutboundHttp } from './http';

export class OutboundTcp {
  constructor(
    private readonly http: OutboundHttp,
    private readonly connectTimeoutMs: number,
    private readonly log: Logger,
    /** Called with each upstream connection (for TCP metrics); `serverId` when it is mTLS. */
    private readonly onUpstream: (socket: net.Socket, endpoint: Endpoint, serverId?: string) => void,
    /** Absent when the proxy runs without identity: then every endpoint gets plain TCP. */
    private readonly mtls?: MtlsConnector,
  ) {}

  async opaque(socket: net.Socket, origDst: HostPort | undefined): Promise<void> {
    if (!origDst) {
      this.log.warn({ client: socket.remoteAddress }, 'closing undetected outbound connection: no original destination to send it to');
      socket.destroy();
      return;
    }
    const authority = formatHostPort(origDst);
    const endpoint = await this.http.resolve(authority, socket);
    if (endpoint instanceof ProxyError) return this.refuse(socket, authority, endpoint);
    await this.tunnel(socket, authority, endpoint, origDst.port);
  }

  /** `CONNECT host:port`: 200 once the target is connected, then a tunnel. */
  async connect(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const authority = normalizeAuthority(req.url ?? '', 443);
    const endpoint = await this.http.resolve(authority, req.socket);
    if (endpoint instanceof ProxyError) return this.refuse(socket, authority, endpoint);
    const port = Number(authority.slice(authority.lastIndexOf(':') + 1));
    await this.tunnel(socket, authority, endpoint, port, head);
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const authority = normalizeAuthority(http1Target(req).authority);
    const endpoint = await this.http.resolve(authority, req.socket);
    if (endpoint instanceof ProxyError) return this.refuse(socket, authority, endpoint);
    const error = await forwardUpgrade(req, socket, head, () => this.open(endpoint, 'http/1.1'), endpoint.key);
    if (error) this.log.warn({ authority, endpoint: endpoint.key, error: error.message }, 'upgraded connection failed');
  }

  /** Plain TCP to the endpoint, or mTLS speaking `alpn` when it has an identity and this proxy has one. */
  private async open(endpoint: Endpoint, alpn: string): Promise<net.Socket> {
    const serverId = this.mtls ? endpoint.identity : undefined;
    const socket = serverId
      ? await this.mtls!.connect(endpoint.addr, serverId, alpn, this.connectTimeoutMs)
      : await connectTo(endpoint.addr, this.connectTimeoutMs);
    this.onUpstream(socket, endpoint, serverId);
    return socket;
  }

  private async tunnel(socket: Duplex, authority: string, endpoint: Endpoint, targetPort: number, connectHead?: Buffer): Promise<void> {
    let upstream: net.Socket;
    try {
      upstream = await this.open(endpoint, OPAQUE_TRANSPORT_ALPN);
    } catch (err) {
      const error = upstreamError(err as Error, endpoint.key);
      this.log.warn({ authority, endpoint: endpoint.key, error: error.message }, 'opaque connection failed');
      if (connectHead) writeRawError(socket, error);
      else socket.destroy();
      return;
    }
    if (this.mtls && endpoint.identity !== undefined) upstream.write(encodeTransportHeader(targetPort));
    if (connectHead) {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (connectHead.length > 0) upstream.write(connectHead);
    }
    const failure = await splice(socket, upstream);
    if (failure) this.log.debug({ authority, endpoint: endpoint.key, error: failure.message }, 'opaque connection ended with an error');
  }

  private refuse(socket: Duplex, authority: string, error: ProxyError): void {
    this.log.warn({ authority, reason: error.reason, error: error.message }, 'connection refused');
    writeRawError(socket, error);
  }
}
