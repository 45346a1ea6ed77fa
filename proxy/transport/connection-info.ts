// What the transport layer learned about an accepted connection, carried on the socket so the HTTP layer can
// read it for every request on that connection (HTTP/2 streams reach it through their session's socket).
import type { Socket } from 'node:net';
import type { HostPort } from '../../common/address';

const INFO = Symbol('weft.connection');

export interface ConnectionInfo {
  /** Where the client meant to connect before iptables redirected it; absent without interception. */
  origDst?: HostPort;
  /** The client's verified identity when the connection is mTLS from a peer proxy. */
  clientId?: string;
}

export function setConnectionInfo(socket: Socket, info: ConnectionInfo): void {
  (socket as unknown as Record<symbol, ConnectionInfo>)[INFO] = info;
}

export function connectionInfo(socket: Socket): ConnectionInfo | undefined {
  return (socket as unknown as Record<symbol, ConnectionInfo | undefined>)[INFO];
}
