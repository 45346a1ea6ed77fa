// What happens to every accepted connection, inbound and outbound alike: learn the original destination,
// skip detection on opaque ports, otherwise detect and hand the socket to the HTTP/1 server, the HTTP/2
// server, or the opaque forwarder.
import type * as net from 'node:net';
import type { HostPort } from '../../common/address';
import type { HttpServers } from '../http/servers';
import { setConnectionInfo } from './connection-info';
import { detectProtocol } from './detect';
import { originalDestination } from './original-dst';

export interface AcceptOptions {
  servers: HttpServers;
  detectTimeoutMs: number;
  /** The port whose opaque-ness decides whether to detect: the original destination's, or a default's. */
  isOpaque(origDst: HostPort | undefined): boolean;
  opaque(socket: net.Socket, origDst: HostPort | undefined): void;
}

export function acceptConnection(socket: net.Socket, options: AcceptOptions): void {
  const origDst = originalDestination(socket);
  setConnectionInfo(socket, { origDst });
  socket.on('error', () => {}); // whoever owns the socket next reports failures; an early reset just closes
  if (options.isOpaque(origDst)) {
    options.opaque(socket, origDst);
    return;
  }
  serveDetected(socket, origDst, options);
}

/** Detects the protocol and hands the socket on; also used inside a terminated mTLS connection. */
export function serveDetected(socket: net.Socket, origDst: HostPort | undefined, options: Omit<AcceptOptions, 'isOpaque'>): void {
  void detectProtocol(socket, options.detectTimeoutMs).then((protocol) => {
    switch (protocol) {
      case 'http1':
        options.servers.http1.emit('connection', socket);
        socket.resume(); // the server reads the handle directly; resuming delivers the bytes detection put back
        return;
      case 'h2':
        options.servers.http2.emit('connection', socket);
        return;
      case 'opaque':
        options.opaque(socket, origDst);
        return;
      default:
        socket.destroy();
    }
  });
}
