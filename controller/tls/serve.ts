// Where a control-plane gRPC server listens. With TLS, the listener is ours and hands grpc-js only
// connections that begin with a TLS handshake: a plaintext client (a proxy configured without TLS, curl) is
// closed, logged with what to fix and counted, rather than left to fail somewhere inside the handshake.
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { formatHostPort, HostPort } from '../../common/address';
import type { ControlPlaneService } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { LocalIdentity } from '../../proxy/identity/local-identity';
import type { ControlPlaneTlsMetrics } from './metrics';
import { RenewingServerCredentials } from '../../proxy/identity/grpc-server-credentials';

/** TLS with the service's own certificate, or plaintext where the operator asked for it (destination only). */
export type ServingTransport = { kind: 'tls'; identity: LocalIdentity } | { kind: 'plaintext' };

/** The first byte of every TLS connection: a handshake record (RFC 8446 5.1). */
const TLS_HANDSHAKE_RECORD = 0x16;
/** A connection that has sent nothing for this long is closed before grpc-js ever sees it. */
const FIRST_BYTE_TIMEOUT_MS = 10_000;
/** At most one plaintext warning per this interval; the rest are counted. */
const PLAINTEXT_LOG_INTERVAL_MS = 10_000;

export interface ServeOptions {
  addr: HostPort;
  transport: ServingTransport;
  service: ControlPlaneService;
  log: Logger;
  metrics: ControlPlaneTlsMetrics;
}

export interface Listening {
  port: number;
  /** Stops accepting; the gRPC server's own shutdown ends the connections it holds. */
  close(): void;
}

export function serveGrpc(server: grpc.Server, options: ServeOptions): Promise<Listening> {
  return options.transport.kind === 'tls' ? listenTls(server, options, options.transport.identity) : bindPlaintext(server, options);
}

function bindPlaintext(server: grpc.Server, { addr, service }: ServeOptions): Promise<Listening> {
  return new Promise((resolve, reject) =>
    server.bindAsync(formatHostPort(addr), grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(new Error(`the ${service} server cannot listen on ${formatHostPort(addr)}: ${err.message}`)) : resolve({ port, close: () => {} }),
    ),
  );
}

function listenTls(server: grpc.Server, options: ServeOptions, identity: LocalIdentity): Promise<Listening> {
  const { addr, service, log, metrics } = options;
  const injector = server.createConnectionInjector(new RenewingServerCredentials(identity));
  const waiting = new Set<net.Socket>();
  let lastWarning = 0;
  let unlogged = 0;
  const refusePlaintext = (socket: net.Socket) => {
    metrics.plaintextRefused.inc({ service });
    const now = Date.now();
    if (now - lastWarning >= PLAINTEXT_LOG_INTERVAL_MS) {
      log.warn(
        { peer: `${socket.remoteAddress}:${socket.remotePort}`, alsoRefusedSinceLastWarning: unlogged },
        `refused a plaintext connection: the ${service} service speaks TLS only; its clients need its identity name (${identity.name}) and the trust anchors`,
      );
      lastWarning = now;
      unlogged = 0;
    } else {
      unlogged++;
    }
    socket.destroy();
  };
  const listener = net.createServer((socket) => {
    waiting.add(socket);
    const done = () => {
      waiting.delete(socket);
      clearTimeout(timer);
      socket.off('readable', onReadable).off('error', onGone).off('close', onGone);
    };
    const onGone = () => {
      done();
      socket.destroy();
    };
    const onReadable = () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) {
        if (socket.readableEnded) onGone();
        return;
      }
      done();
      socket.pause();
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE_RECORD) injector.injectConnection(socket);
      else refusePlaintext(socket);
    };
    const timer = setTimeout(onGone, FIRST_BYTE_TIMEOUT_MS);
    socket.on('readable', onReadable).once('error', onGone).once('close', onGone);
  });
  return new Promise((resolve, reject) => {
    listener.once('error', (err) => reject(new Error(`the ${service} server cannot listen on ${formatHostPort(addr)}: ${err.message}`)));
    listener.listen(addr.port, addr.host, () => {
      resolve({
        port: (listener.address() as net.AddressInfo).port,
        close: () => {
          listener.close();
          for (const socket of waiting) socket.destroy();
        },
      });
    });
  });
}
