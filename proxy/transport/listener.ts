// A TCP listener that hands every accepted socket to a handler and keeps count of open connections, so
// shutdown can stop accepting and wait for them.
import * as net from 'node:net';
import { formatHostPort, HostPort } from '../../common/address';

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
    return new Promise((resolve, reject) => {
      this.server.once('error', (err) => reject(new Error(`${this.name} cannot listen on ${formatHostPort(this.addr)}: ${err.message}`)));
      this.server.listen(this.addr.port, this.addr.host, () => {
        const { address, port } = this.server.address() as net.AddressInfo;
        resolve({ host: address, port });
      });
    });
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
