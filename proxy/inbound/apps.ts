// Where inbound sends a connection's traffic: the original destination the client dialled, or the port a peer
// proxy's transport header named, or WEFT_PROXY_INBOUND_APP_ADDR when there was no redirect. Every HTTP
// request, Upgrade and opaque connection asks here, so every port inbound connects to has passed
// allowedPort(); a refusal is logged, counted, and handed back as a 403 `forbidden-port` error.
import type * as net from 'node:net';
import { Counter } from 'prom-client';
import { formatHostPort, HostPort } from '../../common/address';
import { IdleCache, IdlePolicy } from '../../common/idle-cache';
import { ENV, INBOUND_METRIC } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { Endpoint } from '../discovery/types';
import { ProxyError } from '../http/errors';
import type { ProxyRegistry } from '../metrics/registry';
import { connectionInfo } from '../transport/connection-info';
import { allowedPort, describeRefusal, InboundPortPolicy, PortRefusalReason } from './allowed-port';

export function noAppError(): ProxyError {
  return new ProxyError('no-endpoints', `inbound connection has no original destination and ${ENV.inboundAppAddr} is not set`);
}

export class InboundApps {
  /** By original destination (any port of the pod may be one), so it forgets those unused for a while. */
  private readonly apps: IdleCache<string, Endpoint>;
  private readonly refusals: Record<PortRefusalReason, Counter.Internal>;

  constructor(
    private readonly appAddr: HostPort | undefined,
    private readonly policy: InboundPortPolicy,
    registry: ProxyRegistry,
    private readonly log: Logger,
    idle: IdlePolicy,
  ) {
    this.apps = new IdleCache(idle);
    const refused = new Counter({
      name: INBOUND_METRIC.portRefusedTotal,
      help: 'Inbound connections and requests not forwarded because of the port they were for',
      labelNames: ['reason'],
      registers: [registry.registry],
    });
    this.refusals = { proxy_port: refused.labels('proxy_port'), not_an_inbound_port: refused.labels('not_an_inbound_port') };
  }

  /** For traffic on `socket`: its original destination, else the configured app address. */
  forConnection(socket: net.Socket): Endpoint | ProxyError {
    const addr = connectionInfo(socket)?.origDst ?? this.appAddr;
    return addr ? this.checked(socket, addr) : noAppError();
  }

  /** For an opaque-transport connection whose header named `port` (`host` is our own address). */
  forTransport(socket: net.Socket, host: string, port: number): Endpoint | ProxyError {
    return this.checked(socket, this.appAddr ?? { host, port });
  }

  private checked(socket: net.Socket, addr: HostPort): Endpoint | ProxyError {
    const decision = allowedPort(addr.port, this.policy);
    if (decision.kind === 'allowed') return this.appAt(addr);
    this.refusals[decision.reason].inc();
    const why = describeRefusal(addr.port, decision);
    this.log.warn({ client: socket.remoteAddress, clientId: connectionInfo(socket)?.clientId, port: addr.port, reason: decision.reason }, `inbound refused to forward: ${why}`);
    return new ProxyError('forbidden-port', `inbound does not forward to ${formatHostPort(addr)}: ${why}`);
  }

  private appAt(addr: HostPort): Endpoint {
    const key = formatHostPort(addr);
    return this.apps.get(key) ?? this.apps.getOrCreate(key, () => ({ addr, key, labels: {} }));
  }
}
