// Assembles the proxy: discovery, the outbound and inbound stacks, their listeners, the admin server, and the
// graceful shutdown that ties them together.
import type * as http from 'node:http';
import { createAdminServer, listenAdmin, sendText } from '../common/admin-server';
import { formatHostPort, HostPort } from '../common/address';
import { systemClock } from '../common/clock';
import type { Logger } from '../common/log';
import type { Config } from './config';
import type { Discovery } from './discovery/types';
import { IDENTITY_ROUTE, identityRoute } from './identity/admin-route';
import type { LocalIdentity } from './identity/local-identity';
import type { ProxyPortName } from './inbound/allowed-port';
import { createInbound } from './inbound/stack';
import { createIdentityMetrics } from './metrics/identity';
import { ProxyRegistry } from './metrics/registry';
import { createOutbound } from './outbound/stack';
import type { TapListener } from './tap/listener';
import { Listener } from './transport/listener';

const DRAIN_POLL_MS = 50;

export interface ProxyAddresses {
  outbound: HostPort;
  inbound: HostPort;
  admin: HostPort;
  /** Where tap is served: only with identity. */
  tap?: HostPort;
}

export class Proxy {
  private shuttingDown?: Promise<void>;

  private constructor(
    readonly addresses: ProxyAddresses,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly discovery: Discovery,
    private readonly listeners: Listener[],
    private readonly stacks: ReturnType<typeof createOutbound | typeof createInbound>[],
    private readonly admin: http.Server,
    private readonly identity: LocalIdentity | undefined,
    private readonly tap: TapListener | undefined,
  ) {}

  static async start(config: Config, log: Logger, onShutdownRequest: () => void): Promise<Proxy> {
    const registry = new ProxyRegistry({ idleMs: config.idleCacheTimeoutMs, clock: systemClock });
    // Without identity disabled on purpose, the proxy has its own certificate and mTLS to every meshed peer.
    // Modules are loaded only for the features configured: gRPC and X.509 code costs memory on every pod.
    const identity = config.identity.disabled
      ? undefined
      : (require('./identity/from-config') as typeof import('./identity/from-config')).createLocalIdentity(config.identity, createIdentityMetrics(registry.registry), systemClock, log);
    const discovery = createDiscovery(config, log, registry);
    const outbound = createOutbound(config, discovery, registry, log, identity);
    // The proxy's own ports, which inbound never connects to on an app's behalf: each as soon as it is bound
    // (tests listen on port 0), and tap's as configured even when it is not served (no identity).
    const proxyPorts = new Map<number, ProxyPortName>([[config.tapAddr.port, 'tap']]);
    const bound = (name: ProxyPortName) => (addr: HostPort) => {
      proxyPorts.set(addr.port, name);
      return addr;
    };
    const inbound = createInbound(config, registry, log, proxyPorts, identity);
    const outboundListener = new Listener('outbound', config.outboundAddr, outbound.onConnection);
    const inboundListener = new Listener('inbound', config.inboundAddr, inbound.onConnection);
    const listeners = [outboundListener, inboundListener];
    // Tap is mTLS to the control plane's tap identity: without an identity of our own there is none to serve.
    const tap = identity ? new (require('./tap/listener') as typeof import('./tap/listener')).TapListener(config.tapAddr, identity, registry, log) : undefined;
    let proxy: Proxy | undefined;
    const admin = createAdminServer({
      registry: registry.registry,
      notReadyReason: () => (proxy === undefined ? 'starting' : proxy.shuttingDown ? 'shutting down' : identity?.notReadyReason()),
      routes: {
        '/shutdown': {
          method: 'POST',
          loopbackOnly: true,
          handle: (_req, res) => {
            sendText(res, 202, 'shutting down\n');
            onShutdownRequest();
          },
        },
        [IDENTITY_ROUTE]: identityRoute(identity),
        '/config.json': { method: 'GET', handle: (_req, res) => sendText(res, 200, JSON.stringify(describe(config), null, 2), 'application/json') },
      },
    });
    try {
      const [outboundAddr, inboundAddr, adminAddr, tapAddr] = await Promise.all([
        outboundListener.listen().then(bound('outbound')),
        inboundListener.listen().then(bound('inbound')),
        listenAdmin(admin, config.adminAddr).then(bound('admin')),
        tap?.listen().then(bound('tap')),
      ]);
      proxy = new Proxy({ outbound: outboundAddr, inbound: inboundAddr, admin: adminAddr, tap: tapAddr }, config, log, discovery, listeners, [outbound, inbound], admin, identity, tap);
    } catch (err) {
      await Promise.all(listeners.map((l) => l.stopAccepting()));
      tap?.close();
      admin.close();
      discovery.close();
      identity?.close();
      throw err;
    }
    // Listeners are up first so /ready can say why there is no certificate yet; plaintext is served meanwhile.
    identity?.start();
    const { addresses } = proxy;
    log.info({ outbound: formatHostPort(addresses.outbound), inbound: formatHostPort(addresses.inbound), admin: formatHostPort(addresses.admin), ...(addresses.tap && { tap: formatHostPort(addresses.tap) }) }, 'proxy ready');
    return proxy;
  }

  /**
   * Stops accepting, lets requests in flight finish within the grace period (HTTP/1 connections close after
   * their response, HTTP/2 sessions get GOAWAY), then closes whatever is left.
   */
  shutdown(): Promise<void> {
    this.shuttingDown ??= this.drain();
    return this.shuttingDown;
  }

  private async drain(): Promise<void> {
    const deadline = Date.now() + this.config.shutdownGracePeriodMs;
    await Promise.all(this.listeners.map((l) => l.stopAccepting()));
    this.tap?.close();
    for (const stack of this.stacks) stack.servers.drain();
    const openConnections = () => this.listeners.reduce((n, l) => n + l.open.size, 0);
    while (openConnections() > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      for (const stack of this.stacks) stack.servers.http1.closeIdleConnections();
    }
    const cut = openConnections();
    if (cut > 0) this.log.warn({ connections: cut, gracePeriodMs: this.config.shutdownGracePeriodMs }, 'grace period over; closing remaining connections');
    for (const listener of this.listeners) for (const socket of listener.open) socket.destroy();
    await Promise.all(this.stacks.map((s) => s.upstreams.close()));
    this.discovery.close();
    this.identity?.close();
    await new Promise((resolve) => this.admin.close(resolve));
  }
}

function createDiscovery(config: Config, log: Logger, registry: ProxyRegistry): Discovery {
  switch (config.destination.kind) {
    case 'file':
      return new (require('./discovery/file-source') as typeof import('./discovery/file-source')).FileDiscovery(config.destination.path, log);
    case 'none':
      return { resolve: () => undefined, close: () => {} };
    case 'grpc':
      return new (require('./discovery/grpc-client') as typeof import('./discovery/grpc-client')).GrpcDiscovery({ addr: config.destination.addr, contextToken: config.destination.contextToken, tls: config.destination.tls, log, registry: registry.registry });
  }
}

/** /config.json: the effective configuration, with sets as sorted lists. */
function describe(config: Config): unknown {
  return JSON.parse(
    JSON.stringify(config, (_key, value: unknown) => (value instanceof Set ? [...(value as Set<number>)].sort((a, b) => a - b) : value)),
  );
}

