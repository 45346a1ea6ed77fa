// `weft edges` (CONTRACT.md: SRC DST SRC_NS DST_NS CLIENT_ID SERVER_ID MSG): who talked to whom within the
// range, from what a cluster's metrics carry (the proxies' scrape labels and their own series), as Linkerd's
// edges does. Each edge is a caller's outbound series, requests' or (for opaque TCP) connections': the callee is
// what discovery called it (`dst_deployment` / `dst_pod`), SERVER_ID the identity its connection verified
// (`server_id`). CLIENT_ID comes from the other end: the callee's inbound series name each verified caller
// (`client_id`).
import { identityAccount, METRIC, PROXY_TARGET_LABEL as T, TLS_TRUE } from '../contract';
import { UsageError } from '../errors';
import { ResourceType, UnknownResourceName } from './resources';
import { Labels, MetricsSource, Row, TimeRange } from './source';
import { DST_LABEL, OWN_LABEL } from './traffic-filter';

export interface EdgeQuery {
  type: ResourceType;
  name?: string;
  namespace?: string;
  range: TimeRange;
}

export interface Edge {
  src: string;
  dst: string;
  srcNamespace: string;
  dstNamespace: string;
  clientId: string;
  serverId: string;
  /** Why the edge is not mTLS (`no_tls_reason`), or empty. */
  msg: string;
}

interface Workload {
  namespace: string;
  name: string;
  /** Its deployment (for pods too): what a service account is most often named after. */
  deployment: string;
}

const TLS_BY = ['server_id', 'tls', 'no_tls_reason'];
const INBOUND_BY = [T.namespace, T.deployment, T.pod, 'client_id'];

export async function edges(source: MetricsSource, query: EdgeQuery): Promise<Edge[]> {
  if (query.type !== 'deploy' && query.type !== 'pod') throw new UsageError(`edges are shown between deploy or pod, not ${query.type}`);
  const own = OWN_LABEL[query.type]!;
  const dst = DST_LABEL[query.type];
  const outbound = { direction: 'outbound' };
  const verifiedInbound = { direction: 'inbound', tls: TLS_TRUE };
  const by = [...new Set([T.namespace, own, 'dst_namespace', dst, DST_LABEL.deploy, DST_LABEL.svc, 'authority', ...TLS_BY])];
  const [http, tcp, httpIn, tcpIn, targets] = await Promise.all([
    source.increase(METRIC.responseTotal, outbound, by, query.range),
    source.increase(METRIC.tcpOpenTotal, { ...outbound, peer: 'dst' }, by, query.range),
    source.increase(METRIC.responseTotal, verifiedInbound, INBOUND_BY, query.range),
    source.increase(METRIC.tcpOpenTotal, { ...verifiedInbound, peer: 'src' }, INBOUND_BY, query.range),
    source.targets(query.range.toMs),
  ]);
  const seen = (rows: Row[]) => rows.filter((r) => r.value > 0);
  const callers = seen([...httpIn, ...tcpIn]).map((r) => ({ callee: workloadOf(r.labels, own), clientId: r.labels.client_id ?? '' }));
  const identities = new Identities(seen([...http, ...tcp]), dst, callers);
  const found = new Map<string, Edge>();
  const add = (s: Labels, callee: Workload | undefined, fallback: string) => {
    const secure = s.tls === TLS_TRUE;
    const edge: Edge = {
      src: s[own] ?? '',
      dst: callee?.name || fallback || '-',
      srcNamespace: s[T.namespace] ?? '',
      dstNamespace: callee?.namespace ?? '',
      clientId: callee && secure ? identities.clientOf(callee, s[T.namespace] ?? '', s[own] ?? '') : '',
      serverId: secure ? (s.server_id ?? '') : '',
      msg: secure ? '' : (s.no_tls_reason ?? 'not mTLS'),
    };
    if (edge.src === '' || (query.namespace !== undefined && edge.srcNamespace !== query.namespace && edge.dstNamespace !== query.namespace)) return;
    const key = [edge.src, edge.dst, edge.srcNamespace, edge.dstNamespace].join('\n');
    const before = found.get(key);
    // Several series make one edge; a plaintext one among them is what the edge must admit to.
    if (!before || (before.msg === '' && edge.msg !== '')) found.set(key, before ? { ...edge, clientId: before.clientId || edge.clientId, serverId: before.serverId || edge.serverId } : edge);
  };
  for (const { labels: s } of seen([...http, ...tcp])) {
    const callee = s[dst] ? { namespace: s.dst_namespace ?? '', name: s[dst], deployment: s[DST_LABEL.deploy] ?? '' } : undefined;
    add(s, callee, (query.type === 'deploy' ? s.dst_service : '') || (s.authority ?? '').split(':')[0]);
  }
  const all = [...found.values()].sort((a, b) => a.srcNamespace.localeCompare(b.srcNamespace) || a.src.localeCompare(b.src) || a.dst.localeCompare(b.dst));
  if (query.name === undefined) return all;
  const wanted = all.filter((e) => e.src === query.name || e.dst === query.name);
  if (wanted.length === 0) {
    const known = targets.filter((t) => query.namespace === undefined || t.labels[T.namespace] === query.namespace).map((t) => t.labels[own] ?? '');
    if (!known.includes(query.name)) throw new UnknownResourceName(query.type, query.name, query.namespace, [...new Set(known)].filter(Boolean).sort(), source.description);
  }
  return wanted;
}

function workloadOf(labels: Labels, own: string): Workload {
  return { namespace: labels[T.namespace] ?? '', name: labels[own] ?? '', deployment: labels[T.deployment] ?? '' };
}

const sameWorkload = (a: Workload, b: Workload) => a.namespace === b.namespace && a.name === b.name;

/** Which workload each identity is, from both ends' series. */
class Identities {
  /** Identity → the workload callers reached with it (outbound series name both). */
  private readonly servers = new Map<string, Workload>();

  constructor(
    outbound: readonly Row[],
    dst: string,
    /** Each verified caller (client_id) a workload's inbound side saw. */
    private readonly callers: readonly { callee: Workload; clientId: string }[],
  ) {
    for (const { labels: s } of outbound) {
      if (s.tls === TLS_TRUE && s.server_id && s[dst]) this.servers.set(s.server_id, { namespace: s.dst_namespace ?? '', name: s[dst], deployment: s[DST_LABEL.deploy] ?? '' });
    }
  }

  /** The verified identity `callee` saw from the caller `callerName` in `callerNamespace`, or ''. */
  clientOf(callee: Workload, callerNamespace: string, callerName: string): string {
    const ids = [...new Set(this.callers.filter((c) => sameWorkload(c.callee, callee) && identityAccount(c.clientId)?.namespace === callerNamespace).map((c) => c.clientId))];
    // An identity the series show serving as another workload is not this caller's.
    const own = ids.filter((id) => {
      const server = this.servers.get(id);
      return !server || (server.namespace === callerNamespace && (server.name === callerName || server.deployment === callerName));
    });
    if (own.length === 1) return own[0];
    return own.find((id) => identityAccount(id)?.serviceAccount === callerName) ?? '';
  }
}
