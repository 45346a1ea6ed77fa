// The outbound path, the app's own requests, in one place:
//   accept (127.0.0.1:4140, or iptables REDIRECT) → original destination → detect
//     HTTP/1, h2 → resolve authority (discovery) → balance (P2C peak-EWMA, failure accrual, fail-fast queue)
//       → retry (budgeted) / timeout → HTTP/1 pool or h2 session → endpoint        [service-request.ts]
//     CONNECT, Upgrade, opaque → resolve → pick endpoint → connect → splice bytes
// Metrics: TCP per connection (tcp.ts), HTTP per target (targets.ts) recorded in the response sinks, retries
// per target (retry-metrics.ts).
import type * as net from 'node:net';
import type { HostPort } from '../../common/address';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../common/clock';
import { TLS_TRUE } from '../../common/contract';
import type { Logger } from '../../common/log';
import { Balancer } from '../balance/balancer';
import type { Config } from '../config';
import type { Discovery, Endpoint } from '../discovery/types';
import { createHttpServers, HttpServers } from '../http/servers';
import { TargetCache } from '../http/targets';
import { PEER_POOL_LIMITS } from '../http/peer-pool-limits';
import { Upstreams } from '../http/upstreams';
import type { LocalIdentity } from '../identity/local-identity';
import { dstLabels, NO_TLS_REASON, noTls, outboundLabels } from '../metrics/labels';
import type { ProxyRegistry } from '../metrics/registry';
import { trackConnection } from '../metrics/tcp';
import { tapGate } from '../tap/gate';
import { acceptConnection } from '../transport/accept';
import { connectionGuard, FaultReporter } from '../transport/guard';
import { MtlsConnector } from '../transport/tls-connect';
import { OutboundHttp } from './http';
import { RetryBudget } from './retry-budget';
import { RetryMetrics } from './retry-metrics';
import { RetryPolicies } from './retry-policy';
import { OutboundTcp } from './tcp';

/** Latencies of local endpoints are well under a millisecond: the balancer needs a finer clock than Date. */
const preciseClock = { ...systemClock, now: () => performance.now() };

export function createOutbound(config: Config, discovery: Discovery, registry: ProxyRegistry, log: Logger, identity?: LocalIdentity) {
  // Endpoints with an identity get mTLS, once this proxy has a certificate to present (proxy/identity/).
  const mtls = identity ? new MtlsConnector(identity) : undefined;
  const faults = new FaultReporter(log, registry.internalErrorsTotal, 'outbound');
  // dst_* as on the requests' series: opaque TCP has no other, and views find a connection's callee by them.
  const onUpstream = (socket: net.Socket, endpoint: Endpoint, serverId?: string) =>
    trackConnection(registry, socket, {
      direction: 'outbound',
      peer: 'dst',
      target_addr: endpoint.key,
      ...(serverId ? { tls: TLS_TRUE, server_id: serverId } : noTls(NO_TLS_REASON.notProvidedByDiscovery)),
      ...dstLabels(endpoint),
    });
  // Pools, sessions, targets and passthrough endpoints forget what goes unused (DESIGN.md); pools and sessions
  // of an endpoint discovery removed close at once.
  const idle = { idleMs: config.idleCacheTimeoutMs, clock: systemClock };
  const peerLimits = { ...PEER_POOL_LIMITS, maxConnections: config.outboundPeerMaxConnections, maxQueued: config.outboundPeerMaxQueued };
  const upstreams = new Upstreams({ connectTimeoutMs: config.outboundConnectTimeoutMs, onConnection: onUpstream, mtls, faults, peerLimits }, idle);
  discovery.onEndpointRemoved?.((endpoint) => upstreams.forget(endpoint));
  const retryMetrics = new RetryMetrics(registry);
  const http = new OutboundHttp(discovery, idle, {
    balancer: new Balancer(preciseClock),
    upstreams,
    targets: new TargetCache(registry, (authority, endpoint) => outboundLabels(authority, endpoint, mtls !== undefined), idle, (target) => retryMetrics.forget(target)),
    budget: new RetryBudget(preciseClock),
    retryMetrics,
    retryPolicies: new RetryPolicies((err) => log.error({ error: err.message }, 'retry configuration ignored; fix it in discovery')),
    clock: preciseClock,
  });
  const tcp = new OutboundTcp(http, config.outboundConnectTimeoutMs, log, onUpstream, mtls);
  const servers: HttpServers = createHttpServers(
    {
      request: (req, sink, socket) => {
        if (tapGate.open) tapGate.observe('outbound', req, sink, socket);
        http.handle(req, sink, socket);
      },
      connect: (req, socket, head) => tcp.connect(req, socket, head),
      upgrade: (req, socket, head) => tcp.upgrade(req, socket, head),
    },
    { headerTimeoutMs: config.httpHeaderTimeoutMs, maxHeaders: config.httpMaxHeaders, maxConcurrentStreams: config.http2MaxConcurrentStreams, faults, clock: preciseClock },
    log,
  );
  const accept = {
    servers,
    detectTimeoutMs: config.detectProtocolTimeoutMs,
    faults,
    isOpaque: (origDst: HostPort | undefined) => origDst !== undefined && config.outboundOpaquePorts.has(origDst.port),
    opaque: (s: net.Socket, origDst: HostPort | undefined) => tcp.opaque(s, origDst),
  };
  return {
    servers,
    upstreams,
    onConnection(socket: net.Socket): void {
      connectionGuard(socket, faults).run(() => {
        trackConnection(registry, socket, { direction: 'outbound', peer: 'src', ...noTls(NO_TLS_REASON.loopback) });
        acceptConnection(socket, accept);
      });
    },
  };
}
