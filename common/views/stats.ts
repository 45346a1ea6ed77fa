// `weft stat`'s numbers (CONTRACT.md: NAME MESHED SUCCESS RPS LATENCY_P50 LATENCY_P95 LATENCY_P99 TCP_CONN),
// from any metrics source. Deployments, pods and namespaces are seen from their own proxies' inbound side
// (what they served); a service from its callers' outbound side (what was asked of it), as Linkerd does.
import { METRIC, PROXY_TARGET_LABEL as T, TLS_TRUE } from '../contract';
import { ResourceType, UnknownResourceName } from './resources';
import { Labels, Matchers, MetricsSource, Row, TimeRange, keyOf } from './source';

export interface StatQuery {
  type: ResourceType;
  name?: string;
  /** Undefined: every namespace. */
  namespace?: string;
  range: TimeRange;
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
  tcpConnections?: number;
  /** How many of the responses were over mTLS, as a fraction. */
  mtlsShare?: number;
}

interface Grouping {
  /** Labels naming a row: [namespace label, name label]. */
  by: readonly string[];
  /** Which side's series count. */
  match: Matchers;
}

function groupingOf(type: ResourceType): Grouping {
  const inbound = { direction: 'inbound' };
  switch (type) {
    case 'deploy':
      return { by: [T.namespace, T.deployment], match: inbound };
    case 'pod':
      return { by: [T.namespace, T.pod], match: inbound };
    case 'ns':
      return { by: [T.namespace], match: inbound };
    case 'svc':
      return { by: ['dst_namespace', 'dst_service'], match: { direction: 'outbound' } };
  }
}

const QUANTILES = [0.5, 0.95, 0.99] as const;

export async function stats(source: MetricsSource, query: StatQuery): Promise<StatRow[]> {
  const { by, match } = groupingOf(query.type);
  const [nsLabel, nameLabel = nsLabel] = by;
  const scope: Matchers = { ...match, ...(query.namespace !== undefined && query.type !== 'ns' ? { [nsLabel]: query.namespace } : {}) };
  const [responses, successes, secured, tcp, targets, ...latencies] = await Promise.all([
    source.increase(METRIC.responseTotal, scope, by, query.range),
    source.increase(METRIC.responseTotal, { ...scope, classification: 'success' }, by, query.range),
    source.increase(METRIC.responseTotal, { ...scope, tls: TLS_TRUE }, by, query.range),
    query.type === 'svc' ? Promise.resolve<Row[]>([]) : source.current(METRIC.tcpOpenConnections, { ...scope, peer: 'src' }, by, query.range.toMs),
    source.targets(query.range.toMs),
    ...QUANTILES.map((q) => source.quantile(q, METRIC.responseLatencyMs, scope, by, query.range)),
  ]);
  const seconds = (query.range.toMs - query.range.fromMs) / 1000;
  const rows = new Map<string, StatRow>();
  const rowOf = (labels: Labels): StatRow | undefined => {
    const namespace = labels[nsLabel] ?? '';
    const name = labels[nameLabel] ?? '';
    if (name === '' || (query.namespace !== undefined && namespace !== query.namespace)) return undefined;
    const key = keyOf({ namespace, name });
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { namespace, name, responses: 0, latencyMs: {} }));
    return row;
  };
  // Every proxy makes a row, with or without traffic; a service exists once something called it.
  if (query.type !== 'svc') {
    for (const target of targets) {
      const row = rowOf(target.labels);
      if (!row) continue;
      row.meshed ??= { ready: 0, total: 0 };
      row.meshed.total++;
      if (target.value === 1) row.meshed.ready++;
    }
  }
  for (const r of responses) {
    const row = rowOf(r.labels);
    if (!row) continue;
    row.responses += r.value;
    row.rps = (row.rps ?? 0) + r.value / seconds;
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
  if (query.name === undefined) return all;
  const wanted = all.filter((row) => row.name === query.name);
  if (wanted.length === 0) throw new UnknownResourceName(query.type, query.name, query.namespace, [...new Set(all.map((r) => r.name))], source.description);
  return wanted;
}

