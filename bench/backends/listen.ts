import type { AddressInfo, Server } from 'node:net';
import { LOOPBACK } from '../net';

/** Listens on an ephemeral loopback port and resolves with it. */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve((server.address() as AddressInfo).port));
  });
}
