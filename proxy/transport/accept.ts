// What happens to every accepted connection, inbound and outbound alike: learn the original destination,
// skip detection on opaque ports, otherwise detect and hand the socket to the HTTP/1 server, the HTTP/2
// server, or the opaque forwarder. All of it runs inside the connection's guard (guard.ts).
import type * as net from 'node:net';
import type { HostPort } from '../../common/address';
import type { HttpServers } from '../http/servers';
import { setConnectionInfo } from './connection-info';
import { detectProtocol } from './detect';
import { connectionGuard, FaultReporter, Guard } from './guard';
import { originalDestination } from './original-dst';

export interface AcceptOptions {
  servers: HttpServers;
  detectTimeoutMs: number;
  faults: FaultReporter;
  /** The port whose opaque-ness decides whether to detect: the original destination's, or a default's. */
  isOpaque(origDst: HostPort | undefined): boolean;
  /** May return a promise: its rejection is a fault of the connection. */
  opaque(socket: net.Socket, origDst: HostPort | undefined): unknown;
}

/**
 * RFC 9113 §3.4: a client whose preface is not the HTTP/2 one gets the server's preface (an empty SETTINGS
 * frame) and GOAWAY(PROTOCOL_ERROR, last stream 0), then the connection is closed.
 */
export const BAD_PREFACE_ANSWER = Buffer.from([
  ...[0, 0, 0, 0x4, 0, 0, 0, 0, 0], // SETTINGS, empty
  ...[0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1], // GOAWAY, last stream 0, PROTOCOL_ERROR
]);

/** How long a refused client has to read the GOAWAY and close before the connection is cut. */
const BAD_PREFACE_LINGER_MS = 2_000;

export function acceptConnection(socket: net.Socket, options: AcceptOptions): void {
  const origDst = originalDestination(socket);
  setConnectionInfo(socket, { origDst });
  socket.on('error', () => {}); // whoever owns the socket next reports failures; an early reset just closes
  if (options.isOpaque(origDst)) return connectionGuard(socket, options.faults).run(options.opaque, socket, origDst);
  serveDetected(socket, origDst, options);
}

/** Detects the protocol and hands the socket on; also used inside a terminated mTLS connection. */
export function serveDetected(socket: net.Socket, origDst: HostPort | undefined, options: Omit<AcceptOptions, 'isOpaque'>): void {
  const guard = connectionGuard(socket, options.faults);
  void detectProtocol(socket, options.detectTimeoutMs, guard).then(
    guard.wrap((protocol: Awaited<ReturnType<typeof detectProtocol>>) => {
      switch (protocol) {
        case 'http1':
          options.servers.http1.emit('connection', socket);
          socket.resume(); // the server reads the handle directly; resuming delivers the bytes detection put back
          return;
        case 'h2':
          options.servers.http2.emit('connection', socket);
          return;
        case 'bad-h2-preface':
          return refuseBadPreface(socket, guard);
        case 'opaque':
          return options.opaque(socket, origDst);
        default:
          socket.destroy();
      }
    }),
  );
}

function refuseBadPreface(socket: net.Socket, guard: Guard): void {
  // Closing with unread bytes would send a TCP reset, which can make the client lose the GOAWAY: read and drop
  // what it sends, end our side, and let it close (or cut it after the linger time).
  socket.resume();
  socket.end(BAD_PREFACE_ANSWER);
  const timer = setTimeout(guard.wrap(() => socket.destroy()), BAD_PREFACE_LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
}
