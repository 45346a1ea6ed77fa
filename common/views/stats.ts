// `weft stat`'s numbers (CONTRACT.md: NAME MESHED SUCCESS RPS LATENCY_P50 LATENCY_P95 LATENCY_P99 TCP_CONN),
// from any metrics source. Deployments, pods and namespaces are seen from their own proxies' inbound side
// (what they served); a service from its callers' outbound side (what was asked of it), as Linkerd does.
// With --from/--to (traffic-filter.ts) every row is seen from the callers' outbound side.
import { METRIC, PROXY_TARGET_LABEL as T, TLS_TRUE } from '../contract';
import { ResourceType, UnknownResourceName } from './resources';
import { Labels, MetricsSource, Row, TimeRange, keyOf } from './source';
import { DST_LABEL, filteredScope, OWN_LABEL, StatScope, TrafficFilter } from './traffic-filter';

export interface StatQuery {
  type: ResourceType;
  name?: string;
  /** Undefined: every namespace. */
  namespace?: string;
  range: TimeRange;
  /** Only the traffic from or to one resource. */
  filter?: TrafficFilter;
}

export interface StatRow {
  namespace: string;
  name: string;
  /** Proxies answering / proxies known; undefined for services. */
  meshed?: { ready: number; total: number };
  /** Responses within the range. */
  responses: number;
  successRate?: number;
  rps?: number;
  latencyMs: { p50?: number; p95?: number; p99?: number };
  /** Unknown for services and with --from/--to: TCP series carry no dst_* labels. */
  tcpConnections?: number;
  /** How many of the responses were over mTLS, as a fraction. */
  mtlsShare?: number;
}

/** Which series make the rows of `query`, and what names a row in them. */
export function statScope(query: Pick<StatQuery, 'type' | 'namespace' | 'filter'>): StatScope {
  if (query.filter) return filteredScope(query.type, query.type === 'ns' ? undefined : query.namespace, query.filter);
  const own = query.type === 'svc' ? undefined : OWN_LABEL[query.type];
  const by = own === undefined ? ['dst_namespace', DST_LABEL.svc] : query.type === 'ns' ? [T.namespace] : [T.namespace, own];
  const direction = own === undefined ? 'outbound' : 'inbound';
  const inNamespace = query.namespace !== undefined && query.type !== 'ns' ? { [by[0]]: query.namespace } : {};
  return { by, match: { direction, ...inNamespace } };
}

const QUANTILES = [0.5, 0.95, 0.99] as const;

export async function stats(source: MetricsSource, query: StatQuery): Promise<StatRow[]> {
  const { by, match: scope } = statScope(query);
  const [nsLabel, nameLabel = nsLabel] = by;
  const own = OWN_LABEL[query.type];
  const [responses, successes, secured, tcp, targets, ...latencies] = await Promise.all([
    source.increase(METRIC.responseTotal, scope, by, query.range),
    source.increase(METRIC.responseTotal, { ...scope, classification: 'success' }, by, query.range),
    source.increase(METRIC.responseTotal, { ...scope, tls: TLS_TRUE }, by, query.range),
    query.type === 'svc' || query.filter ? Promise.resolve<Row[]>([]) : source.current(METRIC.tcpOpenConnections, { ...scope, peer: 'src' }, by, query.range.toMs),
    source.targets(query.range.toMs),
    ...QUANTILES.map((q) => source.quantile(q, METRIC.responseLatencyMs, scope, by, query.range)),
  ]);
  const seconds = (query.range.toMs - query.range.fromMs) / 1000;
  const rows = new Map<string, StatRow>();
  const rowNamed = (namespace: string, name: string, create: boolean): StatRow | undefined => {
    if (name === '' || (query.namespace !== undefined && query.type !== 'ns' && namespace !== query.namespace)) return undefined;
    const key = keyOf({ namespace, name });
    let row = rows.get(key);
    if (!row && create) rows.set(key, (row = { namespace, name, responses: 0, latencyMs: {} }));
    return row;
  };
  const rowOf = (labels: Labels, create = false) => rowNamed(labels[nsLabel] ?? '', labels[nameLabel] ?? '', create);
  for (const r of responses) {
    // Traffic makes a row (a service's, or with --from/--to any); a series idle in the range makes none then.
    const row = rowOf(r.labels, !query.filter || r.value > 0);
    if (!row) continue;
    row.responses += r.value;
    row.rps = (row.rps ?? 0) + r.value / seconds;
  }
  // Every proxy makes a row, with or without traffic; a service exists once something called it. With
  // --from/--to a row is traffic seen, and its proxies say how meshed it is.
  if (own !== undefined) {
    for (const target of targets) {
      const row = rowNamed(target.labels[T.namespace] ?? '', target.labels[own] ?? '', !query.filter);
      if (!row) continue;
      row.meshed ??= { ready: 0, total: 0 };
      row.meshed.total++;
      if (target.value === 1) row.meshed.ready++;
    }
  }
  const share = (part: Row[], set: (row: StatRow, fraction: number) => void) => {
    const counted = new Map(part.map((r) => [keyOf({ namespace: r.labels[nsLabel] ?? '', name: r.labels[nameLabel] ?? '' }), r.value]));
    for (const [key, row] of rows) if (row.responses > 0) set(row, (counted.get(key) ?? 0) / row.responses);
  };
  share(successes, (row, f) => (row.successRate = f));
  share(secured, (row, f) => (row.mtlsShare = f));
  for (const r of tcp) {
    const row = rowOf(r.labels);
    if (row) row.tcpConnections = (row.tcpConnections ?? 0) + r.value;
  }
  QUANTILES.forEach((_q, i) => {
    const field = (['p50', 'p95', 'p99'] as const)[i];
    for (const r of latencies[i]) {
      const row = rowOf(r.labels);
      if (row && row.responses > 0) row.latencyMs[field] = r.value;
    }
  });
  const all = [...rows.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  if (query.filter && all.length === 0) await checkExists(source, query.filter, targets, query.range);
  if (query.name === undefined) return all;
  const wanted = all.filter((row) => row.name === query.name);
  if (wanted.length > 0) return wanted;
  // With --from/--to, a row without traffic is absent; only a name that exists nowhere is an error.
  const known = query.filter && own !== undefined ? namesOf(targets, query.type, query.namespace) : [...new Set(all.map((r) => r.name))];
  if (!known.includes(query.name)) throw new UnknownResourceName(query.type, query.name, query.namespace, known, source.description);
  return [];
}

/** The names of `type` that proxies carry, in `namespace` (undefined: all), sorted. */
function namesOf(targets: readonly Row[], type: ResourceType, namespace: string | undefined): string[] {
  const label = OWN_LABEL[type]!;
  const names = targets.filter((t) => type === 'ns' || namespace === undefined || t.labels[T.namespace] === namespace).map((t) => t.labels[label] ?? '');
  return [...new Set(names)].filter(Boolean).sort();
}

/** No traffic from or to the filter's resource: fine when it exists, else the error names those that do. */
async function checkExists(source: MetricsSource, filter: TrafficFilter, targets: readonly Row[], range: TimeRange): Promise<void> {
  const namespace = filter.type === 'ns' ? undefined : filter.namespace;
  const flag = `--${filter.direction} ${filter.type}/${filter.name}`;
  if (filter.type !== 'svc') {
    const known = namesOf(targets, filter.type, namespace);
    if (!known.includes(filter.name)) throw new UnknownResourceName(filter.type, filter.name, namespace, known, source.description, flag);
    return;
  }
  // A service is known once something called it.
  const called = await source.increase(METRIC.responseTotal, { direction: 'outbound', dst_namespace: filter.namespace }, [DST_LABEL.svc], range);
  const known = [...new Set(called.map((r) => r.labels[DST_LABEL.svc] ?? ''))].filter(Boolean).sort();
  if (!known.includes(filter.name)) throw new UnknownResourceName('svc', filter.name, namespace, known, source.description, flag);
}

