// A tap query (common/tap-api.ts TapQuery) against the cluster's pods: which proxies to tap, and the match
// each is asked for. Pure; a query that names nothing that exists is a QueryError that says what does.
import { DEFAULT_TAP_MAX_RPS, MAX_TAP_MAX_RPS, TapMatch, TapPeer, TapQuery } from '../../common/tap-api';
import { formatResource, parseResource, PEER_KINDS, Resource, ResourceError } from '../../common/tap-resource';
import type { PodInfo } from '../cluster/types';

export class QueryError extends Error {
  override name = 'QueryError';
  constructor(
    /** The HTTP status it is answered with: 400 a malformed query, 404 nothing of that name. */
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

export interface Selection {
  /** What was asked for, in words: `deployment/web in namespace demo`. */
  what: string;
  resource: Resource;
  namespace: string;
  /** The pods to tap (each may still have no tap address: not meshed). */
  pods: PodInfo[];
  match: TapMatch;
  maxRps: number;
}

const DEFAULT_NAMESPACE = 'default';

export function selectTap(query: TapQuery, pods: readonly PodInfo[]): Selection {
  const resource = parse(query.resource, 'resource');
  const namespace = resource.kind === 'namespace' ? resource.name : query.namespace || DEFAULT_NAMESPACE;
  const selected = podsOf(resource, namespace, pods);
  if (query.to && query.from) throw new QueryError(400, 'give to or from, not both: to selects outbound requests, from inbound ones');
  const maxRps = query.maxRps ?? DEFAULT_TAP_MAX_RPS;
  if (!Number.isInteger(maxRps) || maxRps < 1 || maxRps > MAX_TAP_MAX_RPS) throw new QueryError(400, `maxRps must be a whole number from 1 to ${MAX_TAP_MAX_RPS}, got ${JSON.stringify(query.maxRps)}`);
  const match: TapMatch = {
    direction: '',
    authority: text(query.authority, 'authority'),
    method: text(query.method, 'method'),
    pathPrefix: text(query.path, 'path'),
    to: query.to ? toPeer(parse(query.to, 'to', PEER_KINDS), query.toNamespace || namespace, pods) : null,
    from: query.from ? fromPeer(parse(query.from, 'from'), query.fromNamespace || namespace, pods) : null,
  };
  return { what: describe(resource, namespace), resource, namespace, pods: selected, match, maxRps };
}

function parse(value: unknown, field: string, kinds?: typeof PEER_KINDS): Resource {
  if (typeof value !== 'string') throw new QueryError(400, `${field} must be a string like deploy/web, got ${JSON.stringify(value)}`);
  try {
    return parseResource(value, kinds);
  } catch (err) {
    if (err instanceof ResourceError) throw new QueryError(400, `${field}: ${err.message}`);
    throw err;
  }
}

function text(value: unknown, field: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new QueryError(400, `${field} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

const describe = (resource: Resource, namespace: string) => (resource.kind === 'namespace' ? formatResource(resource) : `${formatResource(resource)} in namespace ${namespace}`);

/** The pods of `resource`; none is a 404 naming what there is of that kind. */
function podsOf(resource: Resource, namespace: string, pods: readonly PodInfo[]): PodInfo[] {
  const inNamespace = pods.filter((p) => p.namespace === namespace);
  const selected = inNamespace.filter((p) => {
    if (resource.kind === 'namespace') return true;
    if (resource.kind === 'pod') return p.name === resource.name;
    return p.workload?.kind === resource.kind && p.workload.name === resource.name;
  });
  if (selected.length > 0) return selected;
  const known = [...new Set(resource.kind === 'namespace' ? pods.map((p) => p.namespace) : inNamespace.flatMap((p) => (resource.kind === 'pod' ? [p.name] : p.workload?.kind === resource.kind ? [p.workload.name] : [])))].sort();
  const where = resource.kind === 'namespace' ? 'namespaces with pods' : `${resource.kind}s with pods in namespace ${namespace}`;
  throw new QueryError(404, `no pods of ${describe(resource, namespace)}; ${where}: ${known.join(', ') || 'none'}`);
}

const peer = (namespace: string, fields: Partial<TapPeer> = {}): TapPeer => ({ namespace, services: [], pods: [], identities: [], ips: [], ...fields });

/** Outbound requests to `resource`: discovery labels every endpoint with its namespace, service and pod. */
function toPeer(resource: Resource, namespace: string, pods: readonly PodInfo[]): TapPeer {
  switch (resource.kind) {
    case 'namespace':
      return peer(resource.name);
    case 'service':
      return peer(namespace, { services: [resource.name] });
    default:
      return peer(namespace, { pods: podsOf(resource, namespace, pods).map((p) => p.name) });
  }
}

/** Inbound requests from `resource`: the proxy knows a caller by its proven identity and its IP. */
function fromPeer(resource: Resource, namespace: string, pods: readonly PodInfo[]): TapPeer {
  if (resource.kind === 'namespace') return peer(resource.name);
  const callers = podsOf(resource, namespace, pods);
  // Only facts every caller has narrow the match: one pod without an IP (the local file) leaves IPs out.
  const ips = callers.every((p) => p.ip) ? callers.map((p) => p.ip!) : [];
  const identities = callers.every((p) => p.tap) ? [...new Set(callers.map((p) => p.tap!.identity))] : [];
  return peer(namespace, { ips, identities });
}
