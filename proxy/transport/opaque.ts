// Opaque TCP: connect to a target, then splice two sockets together with back-pressure (pipe) and half-close
// (one direction ends, the other keeps flowing). CONNECT tunnels, HTTP Upgrade and undetected traffic use it.
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { HostPort } from '../../common/address';

export function connectTo(target: HostPort, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, noDelay: true, allowHalfOpen: true });
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error(`connect timed out after ${timeoutMs}ms`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Pipes both ways until both sockets close; resolves with the first error either side saw, if any. */
export function splice(client: Duplex, upstream: Duplex): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let failure: Error | undefined;
    let open = 2;
    const closed = () => {
      if (--open === 0) resolve(failure);
    };
    upstream.on('error', (err) => {
      failure ??= err;
      // A reset upstream resets the client too, so the app sees the failure rather than a clean end.
      if (client instanceof net.Socket) client.resetAndDestroy();
      else client.destroy();
    });
    client.on('error', (err) => {
      failure ??= err;
      upstream.destroy();
    });
    upstream.once('close', closed);
    client.once('close', closed);
    // pipe() ends the destination when the source ends: that is the half-close.
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
}
