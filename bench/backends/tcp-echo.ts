// Opaque TCP backend: echoes every byte back, so the client can time request/response round trips.
import * as net from 'node:net';
import { listenOnLoopback } from './listen';

export function startTcpEcho(): Promise<number> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  return listenOnLoopback(server);
}
