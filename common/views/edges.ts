// `weft edges` (CONTRACT.md: SRC DST SRC_NS DST_NS CLIENT_ID SERVER_ID MSG): who talked to whom within the
// range, seen from each caller's outbound side. The caller is its proxy's own labels; the callee is the proxy
// that discovery's `dst_pod` names, or the one whose identity the connection verified (`server_id`; opaque
// TCP has no dst_* labels), else what discovery called it. CLIENT_ID is the caller's identity when its
// connection was mTLS and its proxy's identity is known.
import { METRIC, PROXY_TARGET_LABEL as T, TLS_TRUE } from '../contract';
import { UsageError } from '../errors';
import { ResourceType, UnknownResourceName } from './resources';
import { Labels, MetricsSource, Row, TimeRange } from './source';

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

const CALLER = [T.namespace, T.deployment, T.pod, T.identity];
const HTTP_BY = [...CALLER, 'dst_namespace', 'dst_service', 'dst_pod', 'authority', 'server_id', 'tls', 'no_tls_reason'];
const TCP_BY = [...CALLER, 'authority', 'server_id', 'tls', 'no_tls_reason'];

export async function edges(source: MetricsSource, query: EdgeQuery): Promise<Edge[]> {
  if (query.type !== 'deploy' && query.type !== 'pod') throw new UsageError(`edges are shown between deploy or pod, not ${query.type}`);
  const nameLabel = query.type === 'deploy' ? T.deployment : T.pod;
  const outbound = { direction: 'outbound' };
  const [http, tcp, targets] = await Promise.all([
    source.increase(METRIC.responseTotal, outbound, HTTP_BY, query.range),
    source.increase(METRIC.tcpOpenTotal, { ...outbound, peer: 'dst' }, TCP_BY, query.range),
    source.targets(query.range.toMs),
  ]);
  const byPod = new Map(targets.map((t) => [`${t.labels[T.namespace]}/${t.labels[T.pod]}`, t.labels]));
  const byIdentity = new Map(targets.filter((t) => t.labels[T.identity]).map((t) => [t.labels[T.identity], t.labels]));
  const callee = (series: Labels): { name: string; namespace: string } => {
    const proxy = byPod.get(`${series.dst_namespace}/${series.dst_pod}`) ?? (series.server_id ? byIdentity.get(series.server_id) : undefined);
    if (proxy) return { name: proxy[nameLabel] ?? '', namespace: proxy[T.namespace] ?? '' };
    const fallback = query.type === 'deploy' ? series.dst_service : series.dst_pod;
    return { name: fallback || (series.authority ?? '').split(':')[0] || '-', namespace: series.dst_namespace ?? '' };
  };
  const found = new Map<string, Edge>();
  for (const row of [...http, ...tcp].filter((r: Row) => r.value > 0)) {
    const s = row.labels;
    const dst = callee(s);
    const edge: Edge = {
      src: s[nameLabel] ?? '',
      dst: dst.name,
      srcNamespace: s[T.namespace] ?? '',
      dstNamespace: dst.namespace,
      clientId: s.tls === TLS_TRUE ? (s[T.identity] ?? '') : '',
      serverId: s.tls === TLS_TRUE ? (s.server_id ?? '') : '',
      msg: s.tls === TLS_TRUE ? '' : (s.no_tls_reason ?? 'not mTLS'),
    };
    if (edge.src === '' || (query.namespace !== undefined && edge.srcNamespace !== query.namespace && edge.dstNamespace !== query.namespace)) continue;
    const key = [edge.src, edge.dst, edge.srcNamespace, edge.dstNamespace].join('\n');
    const seen = found.get(key);
    // Several series make one edge; a plaintext one among them is what the edge must admit to.
    if (!seen || (seen.msg === '' && edge.msg !== '')) found.set(key, seen ? { ...edge, clientId: seen.clientId || edge.clientId, serverId: seen.serverId || edge.serverId } : edge);
  }
  const all = [...found.values()].sort((a, b) => a.srcNamespace.localeCompare(b.srcNamespace) || a.src.localeCompare(b.src) || a.dst.localeCompare(b.dst));
  if (query.name === undefined) return all;
  const wanted = all.filter((e) => e.src === query.name || e.dst === query.name);
  if (wanted.length === 0) {
    const known = targets.filter((t) => query.namespace === undefined || t.labels[T.namespace] === query.namespace).map((t) => t.labels[nameLabel] ?? '');
    if (!known.includes(query.name)) throw new UnknownResourceName(query.type, query.name, query.namespace, [...new Set(known)].filter(Boolean).sort(), source.description);
  }
  return wanted;
}
