// The tap port (4190), served only when the proxy has an identity. It stays a bare TCP listener until its first
// connection: only then is the tap server loaded (server.ts, with the tap code behind it), so a proxy nobody
// taps pays nothing for tap but this.
import * as net from 'node:net';
import type { HostPort } from '../../common/address';
import { listen } from '../../common/listen';
import type { Logger } from '../../common/log';
import type { LocalIdentity } from '../identity/local-identity';
import type { ProxyRegistry } from '../metrics/registry';
import type { TapServer } from './server';

/** Tap connections at once: the tap service needs one per proxy, so a few spare are plenty. */
const MAX_CONNECTIONS = 32;

export class TapListener {
  private readonly listener: net.Server;
  private server?: TapServer;

  constructor(
    private readonly addr: HostPort,
    identity: LocalIdentity,
    registry: ProxyRegistry,
    log: Logger,
  ) {
    this.listener = net.createServer((socket) => {
      socket.on('error', () => {}); // a client that resets: its connection ends, nothing else does
      if (!identity.current()) {
        log.warn({ client: socket.remoteAddress, reason: identity.notReadyReason() }, 'tap connection refused: this proxy has no certificate yet');
        return void socket.destroy();
      }
      try {
        this.server ??= (require('./server') as typeof import('./server')).createTapServer(identity, registry, log);
        this.server.inject(socket);
      } catch (err) {
        log.error({ error: (err as Error).message, stack: (err as Error).stack }, 'tap connection failed');
        socket.destroy();
      }
    });
    this.listener.maxConnections = MAX_CONNECTIONS;
  }

  listen(): Promise<HostPort> {
    return listen(this.listener, this.addr, 'tap server');
  }

  close(): void {
    this.listener.close();
    this.server?.close();
  }
}
