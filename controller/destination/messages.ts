// Resolutions → the messages of proto/destination.proto. Streams get the whole state first and then only what
// changed, so each state is kept as what was sent (SentEndpoints) and the next one is compared with it.
import { formatHostPort } from '../../common/address';
import type { DestinationProfile, Update, WeightedAddr } from '../../common/destination-api';
import type { EndpointFact, Resolution, RoutePolicy } from '../cluster/types';

type SentAddrs = ReadonlyMap<string, { message: WeightedAddr; signature: string }>;

export type SentEndpoints =
  | { kind: 'endpoints'; addrs: SentAddrs }
  | { kind: 'unknown' }
  | { kind: 'external'; host: string; port: number };

export function toSent(resolution: Resolution): SentEndpoints {
  switch (resolution.kind) {
    case 'unknown':
      return { kind: 'unknown' };
    case 'external':
      return { kind: 'external', host: resolution.addr.host, port: resolution.addr.port };
    case 'endpoints': {
      const addrs = new Map<string, { message: WeightedAddr; signature: string }>();
      for (const endpoint of resolution.endpoints) {
        const message = weightedAddr(endpoint);
        addrs.set(formatHostPort(endpoint.addr), { message, signature: JSON.stringify(message) });
      }
      return { kind: 'endpoints', addrs };
    }
  }
}

/**
 * The updates that take a stream from `from` (undefined: nothing sent yet) to `to`. New and changed endpoints
 * go out before removals, so a rollout never leaves a proxy with an empty set in between.
 */
export function endpointChanges(from: SentEndpoints | undefined, to: SentEndpoints): Update[] {
  switch (to.kind) {
    case 'unknown':
      return from?.kind === 'unknown' ? [] : [{ noEndpoints: { exists: false } }];
    case 'external':
      return from?.kind === 'external' && from.host === to.host && from.port === to.port ? [] : [{ notInCluster: { host: to.host, port: to.port } }];
    case 'endpoints': {
      const wasEmpty = from?.kind === 'endpoints' && from.addrs.size === 0;
      if (to.addrs.size === 0) return wasEmpty ? [] : [{ noEndpoints: { exists: true } }];
      const before: SentAddrs = from?.kind === 'endpoints' ? from.addrs : new Map();
      const added = [...to.addrs].filter(([key, a]) => before.get(key)?.signature !== a.signature).map(([, a]) => a.message);
      const removed = [...before].filter(([key]) => !to.addrs.has(key)).map(([, a]) => a.message.addr);
      const updates: Update[] = [];
      if (added.length > 0) updates.push({ add: { addrs: added } });
      if (removed.length > 0) updates.push({ remove: { addrs: removed } });
      return updates;
    }
  }
}

export function profileOf(resolution: Resolution): DestinationProfile {
  const policy: RoutePolicy = resolution.kind === 'endpoints' ? resolution.policy : {};
  const retry = policy.retry;
  return {
    retry: retry ? { http: retry.http ?? '', grpc: retry.grpc ?? '', limit: retry.limit, timeoutMs: retry.timeoutMs ?? 0 } : null,
    timeoutMs: policy.timeoutMs ?? 0,
  };
}

function weightedAddr(endpoint: EndpointFact): WeightedAddr {
  return {
    addr: { ip: endpoint.addr.host, port: endpoint.addr.port },
    metricLabels: { ...endpoint.labels },
    identity: endpoint.identity ?? '',
    protocolHint: endpoint.protocolHint ?? '',
    opaquePorts: [...endpoint.opaquePorts],
  };
}
