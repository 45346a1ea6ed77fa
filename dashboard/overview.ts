// What the dashboard's main view shows for one time window: each workload's golden metrics with a sparkline
// of its request and success rates, and the dependency graph's edges with their request rate, success rate
// and mTLS state. Every number comes from the views' query layer (common/views), over whichever source runs.
import { METRIC, PROXY_TARGET_LABEL as T } from '../common/contract';
import { edges as queryEdges } from '../common/views/edges';
import { Labels, matches, MetricsSource, Row, TimeRange } from '../common/views/source';
import { stats, StatRow } from '../common/views/stats';
import { DST_LABEL } from '../common/views/traffic-filter';

/** The windows the page offers (seconds): what the picker lists and the API accepts. */
export const WINDOWS_SECONDS = [60, 300, 900, 3600] as const;
/** Points per sparkline; fewer when the window holds fewer scrape intervals' worth. */
const SPARK_POINTS = 12;
const MIN_SPARK_STEP_MS = 5000;

export interface WorkloadView extends StatRow {
  /** Per step, oldest first: responses per second, and success rate (null: no responses in that step). */
  spark: { rps: number[]; successRate: (number | null)[] };
}

export interface EdgeView {
  src: string;
  dst: string;
  srcNamespace: string;
  dstNamespace: string;
  /** HTTP and gRPC: responses per second; opaque TCP: connections opened per second. */
  rate: number;
  unit: 'rps' | 'conn/s';
  /** Undefined for opaque TCP (no responses to classify). */
  successRate?: number;
  mtls: boolean;
  clientId: string;
  serverId: string;
  /** Why the edge is not mTLS, or empty. */
  msg: string;
}

export interface Overview {
  source: string;
  windowSeconds: number;
  atMs: number;
  workloads: WorkloadView[];
  edges: EdgeView[];
}

export async function overview(source: MetricsSource, windowSeconds: number, atMs: number): Promise<Overview> {
  const range = { fromMs: atMs - windowSeconds * 1000, toMs: atMs };
  const [rows, sparks, edges] = await Promise.all([stats(source, { type: 'deploy', range }), sparklines(source, range), edgeViews(source, range)]);
  const workloads = rows.map((row) => ({ ...row, spark: sparks(row.namespace, row.name) }));
  return { source: source.description, windowSeconds, atMs, workloads, edges };
}

type SparkOf = (namespace: string, name: string) => WorkloadView['spark'];

/** Request and success rates per step of the range, for every workload at once (two questions per step). */
async function sparklines(source: MetricsSource, range: TimeRange): Promise<SparkOf> {
  const stepMs = Math.max(MIN_SPARK_STEP_MS, (range.toMs - range.fromMs) / SPARK_POINTS);
  const steps: TimeRange[] = [];
  for (let to = range.toMs; to - stepMs >= range.fromMs - 1 && steps.length < SPARK_POINTS; to -= stepMs) steps.unshift({ fromMs: to - stepMs, toMs: to });
  const by = [T.namespace, T.deployment];
  const inbound = { direction: 'inbound' };
  const answers = await Promise.all(
    steps.map((step) =>
      Promise.all([source.increase(METRIC.responseTotal, inbound, by, step), source.increase(METRIC.responseTotal, { ...inbound, classification: 'success' }, by, step)]),
    ),
  );
  return (namespace, name) => {
    const rps: number[] = [];
    const successRate: (number | null)[] = [];
    answers.forEach(([all, ok], i) => {
      const responses = valueOf(all, { [T.namespace]: namespace, [T.deployment]: name });
      rps.push(responses / ((steps[i].toMs - steps[i].fromMs) / 1000));
      successRate.push(responses > 0 ? valueOf(ok, { [T.namespace]: namespace, [T.deployment]: name }) / responses : null);
    });
    return { rps, successRate };
  };
}

/**
 * The edges of `weft edges` (who called whom, and whether over mTLS), with their rates from the callers'
 * outbound series: responses by the workload discovery named (`dst_deployment`), connections by the identity
 * the server proved (`server_id`), which is how opaque TCP is told apart.
 */
async function edgeViews(source: MetricsSource, range: TimeRange): Promise<EdgeView[]> {
  const outbound = { direction: 'outbound' };
  const httpBy = [T.namespace, T.deployment, 'dst_namespace', DST_LABEL.deploy];
  const tcpBy = [T.namespace, T.deployment, 'server_id'];
  const [found, responses, successes, connections] = await Promise.all([
    queryEdges(source, { type: 'deploy', range }),
    source.increase(METRIC.responseTotal, outbound, httpBy, range),
    source.increase(METRIC.responseTotal, { ...outbound, classification: 'success' }, httpBy, range),
    source.increase(METRIC.tcpOpenTotal, { ...outbound, peer: 'dst' }, tcpBy, range),
  ]);
  const seconds = (range.toMs - range.fromMs) / 1000;
  return found.map((edge) => {
    const caller = { [T.namespace]: edge.srcNamespace, [T.deployment]: edge.src };
    const http = { ...caller, dst_namespace: edge.dstNamespace, [DST_LABEL.deploy]: edge.dst };
    const answered = valueOf(responses, http);
    const view = { ...edge, mtls: edge.msg === '', rate: answered / seconds, unit: 'rps' as EdgeView['unit'] };
    if (answered > 0) return { ...view, successRate: valueOf(successes, http) / answered };
    const opened = edge.serverId === '' ? 0 : valueOf(connections, { ...caller, server_id: edge.serverId });
    return { ...view, rate: opened / seconds, unit: 'conn/s' };
  });
}

/** The sum of the rows whose labels include `match`. */
export function valueOf(rows: readonly Row[], match: Labels): number {
  return rows.reduce((sum, row) => (matches(row.labels, match) ? sum + row.value : sum), 0);
}
