// Outbound paths that end up as opaque bytes: undetected traffic to an original destination, CONNECT
// tunnels, and HTTP Upgrade. Each resolves its target through discovery like an HTTP request would.
import type { IncomingMessage } from 'node:http';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { formatHostPort, HostPort } from '../../common/address';
import type { Logger } from '../../common/log';
import { normalizeAuthority } from '../discovery/types';
import { ProxyError, upstreamError } from '../http/errors';
import { writeRawError } from '../http/raw-response';
import { fromHttp1 } from '../http/request';
import { forwardUpgrade } from '../http/upgrade';
import { connectTo, splice } from '../transport/opaque';
import type { OutboundHttp } from './http';

export class OutboundTcp {
  constructor(
    private readonly http: OutboundHttp,
    private readonly connectTimeoutMs: number,
    private readonly log: Logger,
    /** Called with each upstream connection (for TCP metrics). */
    private readonly onUpstream: (socket: net.Socket, endpoint: string) => void,
  ) {}

  async opaque(socket: net.Socket, origDst: HostPort | undefined): Promise<void> {
    if (!origDst) {
      this.log.warn({ client: socket.remoteAddress }, 'closing undetected outbound connection: no original destination to send it to');
      socket.destroy();
      return;
    }
    const authority = formatHostPort(origDst);
    const endpoint = this.http.resolve(authority, socket);
    if (endpoint instanceof ProxyError) return this.refuse(socket, authority, endpoint);
    await this.tunnel(socket, authority, endpoint.addr, endpoint.key);
  }

  /** `CONNECT host:port`: 200 once the target is connected, then a tunnel. */
  async connect(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const authority = normalizeAuthority(req.url ?? '', 443);
    const endpoint = this.http.resolve(authority, req.socket);
    if (endpoint instanceof ProxyError) return this.refuse(socket, authority, endpoint);
    await this.tunnel(socket, authority, endpoint.addr, endpoint.key, head);
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const authority = normalizeAuthority(fromHttp1(req).authority);
    const endpoint = this.http.resolve(authority, req.socket);
    if (endpoint instanceof ProxyError) return this.refuse(socket, authority, endpoint);
    const error = await forwardUpgrade(req, socket, head, endpoint.addr, endpoint.key, this.connectTimeoutMs);
    if (error) this.log.warn({ authority, endpoint: endpoint.key, error: error.message }, 'upgraded connection failed');
  }

  private async tunnel(socket: Duplex, authority: string, addr: HostPort, key: string, connectHead?: Buffer): Promise<void> {
    let upstream: net.Socket;
    try {
      upstream = await connectTo(addr, this.connectTimeoutMs);
      this.onUpstream(upstream, key);
    } catch (err) {
      const error = upstreamError(err as Error, key);
      this.log.warn({ authority, endpoint: key, error: error.message }, 'opaque connection failed');
      if (connectHead) writeRawError(socket, error);
      else socket.destroy();
      return;
    }
    if (connectHead) {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (connectHead.length > 0) upstream.write(connectHead);
    }
    const failure = await splice(socket, upstream);
    if (failure) this.log.debug({ authority, endpoint: key, error: failure.message }, 'opaque connection ended with an error');
  }

  private refuse(socket: Duplex, authority: string, error: ProxyError): void {
    this.log.warn({ authority, reason: error.reason, error: error.message }, 'connection refused');
    writeRawError(socket, error);
  }
}
