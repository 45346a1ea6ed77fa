// Listening as a promise: the address the OS gave (port 0 picks one), or an error naming what failed to listen.
import type * as net from 'node:net';
import { formatHostPort, HostPort } from './address';

export function listen(server: net.Server, addr: HostPort, what: string): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`${what} cannot listen on ${formatHostPort(addr)}: ${err.message}`)));
    server.listen(addr.port, addr.host, () => {
      const { address, port } = server.address() as net.AddressInfo;
      resolve({ host: address, port });
    });
  });
}
