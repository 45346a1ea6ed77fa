// A TCP listener that hands every accepted socket to a handler and keeps count of open connections, so
// shutdown can stop accepting and wait for them.
import * as net from 'node:net';
import type { HostPort } from '../../common/address';
import { listen } from '../../common/listen';

export class Listener {
  private readonly server: net.Server;
  readonly open = new Set<net.Socket>();

  constructor(
    readonly name: string,
    private readonly addr: HostPort,
    onConnection: (socket: net.Socket) => void,
  ) {
    // allowHalfOpen: a client that finishes sending may still be waiting for the answer (opaque TCP half-close).
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.open.add(socket);
      socket.once('close', () => this.open.delete(socket));
      onConnection(socket);
    });
  }

  listen(): Promise<HostPort> {
    return listen(this.server, this.addr, this.name);
  }


  /**
   * Stops accepting; open connections are left to their owners. Resolves at once: close()'s callback would
   * wait for every open connection, which would hold shutdown past its grace period.
   */
  stopAccepting(): Promise<void> {
    this.server.close();
    return Promise.resolve();
  }
}
