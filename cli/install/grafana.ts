// The Grafana dashboards in deploy/grafana/ (top line, deployment, pod), built here from the recording-rule
// names of common/contract/prometheus.ts so they query exactly what `weft install prometheus` records.
// `npx tsx scripts/grafana-dashboards.ts` writes them; a test keeps the files equal to this output.
import { METRIC, PROMETHEUS_JOB, SERVICE_RECORDINGS, WORKLOAD_RECORDINGS } from '../../common/contract';

export interface GrafanaTarget {
  expr: string;
  legendFormat?: string;
  refId: string;
  instant?: boolean;
  format?: 'time_series' | 'table';
}
export interface GrafanaPanel {
  id: number;
  type: 'timeseries' | 'stat' | 'table';
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: 'prometheus'; uid: string };
  fieldConfig: { defaults: { unit: string }; overrides: [] };
  targets: GrafanaTarget[];
}
export interface GrafanaVariable {
  name: string;
  type: 'datasource' | 'query';
  label: string;
  query: string | { query: string; refId: string };
  datasource?: { type: 'prometheus'; uid: string };
  refresh?: number;
}
export interface GrafanaDashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  time: { from: string; to: string };
  refresh: string;
  templating: { list: GrafanaVariable[] };
  panels: GrafanaPanel[];
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
const RATE = '$__rate_interval';
const D = WORKLOAD_RECORDINGS.deployment;
const S = SERVICE_RECORDINGS;

type Unit = 'percentunit' | 'reqps' | 'ms' | 'short' | 'bytes' | 'Bps' | 's' | 'dateTimeFromNow';
interface PanelSpec {
  type?: GrafanaPanel['type'];
  title: string;
  unit: Unit;
  /** [expr, legend] pairs. */
  queries: [string, string?][];
  width?: number;
}

/** Lays panels out left to right, 24 columns a row. */
function layout(specs: PanelSpec[]): GrafanaPanel[] {
  let x = 0;
  let y = 0;
  return specs.map((spec, i) => {
    const w = spec.width ?? 8;
    const h = spec.type === 'stat' ? 4 : 8;
    if (x + w > 24) [x, y] = [0, y + h];
    const panel: GrafanaPanel = {
      id: i + 1,
      type: spec.type ?? 'timeseries',
      title: spec.title,
      gridPos: { x, y, w, h },
      datasource: DATASOURCE,
      fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
      targets: spec.queries.map(([expr, legendFormat], q) => ({
        expr,
        refId: String.fromCharCode(65 + q),
        ...(legendFormat ? { legendFormat } : {}),
        ...(spec.type === 'table' ? { instant: true, format: 'table' as const } : {}),
      })),
    };
    x += w;
    return panel;
  });
}

function queryVariable(name: string, label: string, query: string): GrafanaVariable {
  return { name, type: 'query', label, datasource: DATASOURCE, query: { query, refId: `${name}-variable` }, refresh: 2 };
}

const proxyUp = (selector = '') => `up{job="${PROMETHEUS_JOB.proxy}"${selector}}`;
const VARIABLES = {
  datasource: { name: 'datasource', type: 'datasource', label: 'Prometheus', query: 'prometheus' } satisfies GrafanaVariable,
  namespace: queryVariable('namespace', 'Namespace', `label_values(${proxyUp()}, namespace)`),
  deployment: queryVariable('deployment', 'Deployment', `label_values(${proxyUp(', namespace="$namespace"')}, deployment)`),
  pod: queryVariable('pod', 'Pod', `label_values(${proxyUp(', namespace="$namespace"')}, pod)`),
};

function dashboard(uid: string, title: string, variables: GrafanaVariable[], specs: PanelSpec[]): GrafanaDashboard {
  return {
    uid,
    title,
    tags: ['weft'],
    schemaVersion: 39,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    templating: { list: [VARIABLES.datasource, ...variables] },
    panels: layout(specs),
  };
}

const rate = (metric: string, selector: string) => `rate(${metric}{${selector}}[${RATE}])`;
const successRatio = (selector: string, by: string) =>
  `sum by (${by}) (${rate(METRIC.responseTotal, `${selector}, classification="success"`)}) / sum by (${by}) (${rate(METRIC.responseTotal, selector)})`;
const quantile = (q: number, selector: string, by: string) => `histogram_quantile(${q}, sum by (${by}, le) (${rate(`${METRIC.responseLatencyMs}_bucket`, selector)}))`;

/** Golden signals and connections of the proxies that `selector` picks, by direction. */
function trafficPanels(selector: string): PanelSpec[] {
  const inbound = `${selector}, direction="inbound"`;
  return [
    { title: 'Success rate', unit: 'percentunit', queries: [[successRatio(selector, 'direction'), '{{direction}}']] },
    { title: 'Request rate', unit: 'reqps', queries: [[`sum by (direction) (${rate(METRIC.responseTotal, selector)})`, '{{direction}}']] },
    {
      title: 'Inbound latency',
      unit: 'ms',
      queries: [50, 95, 99].map((p) => [quantile(p / 100, inbound, 'direction'), `p${p}`] as [string, string]),
    },
    { title: 'Inbound responses by status', unit: 'reqps', queries: [[`sum by (status_code) (${rate(METRIC.responseTotal, inbound)})`, '{{status_code}}']] },
    { title: 'Open TCP connections', unit: 'short', queries: [[`sum by (direction) (${METRIC.tcpOpenConnections}{${selector}})`, '{{direction}}']] },
    {
      title: 'TCP bytes (counted as connections close)',
      unit: 'Bps',
      queries: [
        [`sum by (direction) (${rate(METRIC.tcpReadBytesTotal, selector)})`, 'read {{direction}}'],
        [`sum by (direction) (${rate(METRIC.tcpWriteBytesTotal, selector)})`, 'written {{direction}}'],
      ],
    },
  ];
}

function topLine(): GrafanaDashboard {
  const inbound = 'direction="inbound"';
  return dashboard('weft-top-line', 'weft / top line', [], [
    { type: 'stat', title: 'Global success rate', unit: 'percentunit', queries: [[successRatio(inbound, 'direction')]] },
    { type: 'stat', title: 'Global request rate', unit: 'reqps', queries: [[`sum(${rate(METRIC.responseTotal, inbound)})`]] },
    { type: 'stat', title: 'Meshed pods up', unit: 'short', queries: [[`count(${proxyUp()} == 1)`]] },
    { title: 'Success rate by deployment', unit: 'percentunit', queries: [[`${D.successRate}{${inbound}}`, '{{namespace}}/{{deployment}}']] },
    { title: 'Request rate by deployment', unit: 'reqps', queries: [[`${D.requestRate}{${inbound}}`, '{{namespace}}/{{deployment}}']] },
    { title: 'P95 latency by deployment', unit: 'ms', queries: [[`${D.latencyP95}{${inbound}}`, '{{namespace}}/{{deployment}}']] },
    { title: 'Success rate by service (as its clients see it)', unit: 'percentunit', queries: [[S.successRate, '{{namespace}}/{{service}}']] },
    { title: 'Request rate by service', unit: 'reqps', queries: [[S.requestRate, '{{namespace}}/{{service}}']] },
    { title: 'P99 latency by service', unit: 'ms', queries: [[S.latencyP99, '{{namespace}}/{{service}}']] },
    {
      type: 'table',
      title: 'Deployments (inbound)',
      unit: 'short',
      width: 24,
      queries: [D.successRate, D.requestRate, D.latencyP50, D.latencyP95, D.latencyP99].map((name) => [`${name}{${inbound}}`] as [string]),
    },
  ]);
}

function deploymentDashboard(): GrafanaDashboard {
  const selected = 'namespace="$namespace", deployment="$deployment"';
  const inbound = `${selected}, direction="inbound"`;
  // "By service" means the requests discovery named a service for: calls to an address it does not know carry no
  // dst_service and would only add an unlabelled row (NaN once they stop within the rate window).
  const outbound = `${selected}, direction="outbound", dst_service!=""`;
  return dashboard('weft-deployment', 'weft / deployment', [VARIABLES.namespace, VARIABLES.deployment], [
    { type: 'stat', title: 'Success rate (inbound)', unit: 'percentunit', queries: [[`${D.successRate}{${inbound}}`]] },
    { type: 'stat', title: 'Request rate (inbound)', unit: 'reqps', queries: [[`${D.requestRate}{${inbound}}`]] },
    { type: 'stat', title: 'Pods up', unit: 'short', queries: [[`count(${proxyUp(`, ${selected}`)} == 1)`]] },
    {
      title: 'Inbound latency (recorded)',
      unit: 'ms',
      queries: [
        [`${D.latencyP50}{${inbound}}`, 'p50'],
        [`${D.latencyP95}{${inbound}}`, 'p95'],
        [`${D.latencyP99}{${inbound}}`, 'p99'],
      ],
    },
    { title: 'Outbound success rate by service', unit: 'percentunit', queries: [[successRatio(outbound, 'dst_namespace, dst_service'), '{{dst_namespace}}/{{dst_service}}']] },
    { title: 'Outbound request rate by service', unit: 'reqps', queries: [[`sum by (dst_namespace, dst_service) (${rate(METRIC.responseTotal, outbound)})`, '{{dst_namespace}}/{{dst_service}}']] },
    { title: 'Outbound P95 latency by service', unit: 'ms', queries: [[quantile(0.95, outbound, 'dst_namespace, dst_service'), '{{dst_namespace}}/{{dst_service}}']] },
    ...trafficPanels(selected),
  ]);
}

function podDashboard(): GrafanaDashboard {
  const selected = 'namespace="$namespace", pod="$pod"';
  return dashboard('weft-pod', 'weft / pod', [VARIABLES.namespace, VARIABLES.pod], [
    ...trafficPanels(selected),
    { title: 'Proxy memory (RSS)', unit: 'bytes', queries: [[`process_resident_memory_bytes{${selected}}`, 'rss']] },
    { title: 'Proxy CPU', unit: 'short', queries: [[`rate(process_cpu_seconds_total{${selected}}[${RATE}])`, 'cores']] },
    {
      title: 'Event loop delay p99',
      unit: 's',
      queries: [[`histogram_quantile(0.99, sum by (le) (${rate(`${METRIC.eventLoopDelaySeconds}_bucket`, selected)}))`, 'p99']],
    },
    {
      type: 'stat',
      title: 'Certificate expires',
      unit: 'dateTimeFromNow',
      queries: [[`max(${METRIC.identityCertExpiration}{${selected}}) * 1000`]],
    },
    {
      type: 'stat',
      title: 'Contained internal errors',
      unit: 'short',
      queries: [[`sum(increase(${METRIC.proxyInternalErrorsTotal}{${selected}}[1h])) or vector(0)`]],
    },
  ]);
}

/** Keyed by file name under deploy/grafana/. */
export function grafanaDashboards(): Record<string, GrafanaDashboard> {
  return { 'weft-top-line.json': topLine(), 'weft-deployment.json': deploymentDashboard(), 'weft-pod.json': podDashboard() };
}

export function dashboardJson(dashboard: GrafanaDashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
