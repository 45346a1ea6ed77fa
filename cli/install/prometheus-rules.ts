// The Prometheus rules `weft install prometheus` prints: golden signals recorded per workload and per Service
// (the names are in common/contract/prometheus.ts, which the CLI views and dashboards read), and multi-window
// burn-rate alerts for the SLOs the controller exports as gauges (SLO_METRIC). Per route: none, the proxy has
// no route label yet.
import {
  METRIC,
  PROXY_WORKLOAD_KINDS,
  SERVICE_RECORDINGS,
  SLO_BURN_ALERTS,
  SLO_BURN_WINDOWS,
  SLO_METRIC,
  SLO_RECORDINGS,
  SLO_REFERENCE_WINDOW_SECONDS,
  VIEW_RATE_WINDOW,
  WORKLOAD_RECORDINGS,
  WORKLOAD_SERIES_LABEL,
  type GoldenRecordings,
  type SloBurnWindow,
} from '../../common/contract';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}
export interface AlertingRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  rules: (RecordingRule | AlertingRule)[];
}

/** Where a level's series come from: `sum(metric, window)` is `rate(metric[window])` summed to the level's labels. */
interface Level {
  /** The labels the level's recordings keep (besides `le` on buckets). */
  by: readonly string[];
  sum(metric: string, window: string, matchers?: string, extraBy?: readonly string[]): string;
}

const SUCCESS = 'classification="success"';
const FAILURE = 'classification="failure"';
const BUCKET = `${METRIC.responseLatencyMs}_bucket`;
const COUNT = `${METRIC.responseLatencyMs}_count`;

const sumBy = (labels: readonly string[]) => `sum by (${labels.join(', ')})`;

function rate(metric: string, window: string, matchers: (string | undefined)[]): string {
  return `rate(${metric}{${matchers.filter(Boolean).join(',')}}[${window}])`;
}

function workloadLevel(label: string): Level {
  const by = ['namespace', label, 'direction'];
  return { by, sum: (metric, window, matchers, extraBy = []) => `${sumBy([...by, ...extraBy])} (${rate(metric, window, [`${label}!=""`, matchers])})` };
}

/**
 * A Service is seen from its clients: outbound series naming it, summed first by `dst_namespace` and
 * `dst_service`, which then become `namespace` and `service` (the labels the SLO gauges carry). Renaming only
 * after the sum keeps clients in other namespaces from colliding with each other.
 */
const SERVICE_LEVEL: Level = {
  by: ['namespace', 'service'],
  sum: (metric, window, matchers, extraBy = []) => {
    const byDst = `${sumBy(['dst_namespace', 'dst_service', ...extraBy])} (${rate(metric, window, ['direction="outbound"', 'dst_namespace!=""', 'dst_service!=""', matchers])})`;
    const renamed = `label_replace(label_replace(${byDst}, "namespace", "$1", "dst_namespace", "(.*)"), "service", "$1", "dst_service", "(.*)")`;
    return `${sumBy(['namespace', 'service', ...extraBy])} (${renamed})`;
  },
};

/**
 * Responses classified `matchers` over all responses. The `or … * 0` keeps a 0 for groups with none of them,
 * so a service whose every response fails shows a success rate of 0 rather than no series.
 */
function responseRatio(level: Level, window: string, matchers: string): string {
  const all = level.sum(METRIC.responseTotal, window);
  return `(\n  ${level.sum(METRIC.responseTotal, window, matchers)}\n  or\n  ${all} * 0\n)\n/\n${all}`;
}

function goldenRules(level: Level, names: GoldenRecordings): RecordingRule[] {
  const w = VIEW_RATE_WINDOW;
  const quantile = (q: number, record: string): RecordingRule => ({ record, expr: `histogram_quantile(${q}, ${names.latencyBucketRate})` });
  return [
    { record: names.requestRate, expr: level.sum(METRIC.responseTotal, w) },
    { record: names.successRate, expr: responseRatio(level, w, SUCCESS) },
    { record: names.latencyBucketRate, expr: level.sum(BUCKET, w, undefined, ['le']) },
    quantile(0.5, names.latencyP50),
    quantile(0.95, names.latencyP95),
    quantile(0.99, names.latencyP99),
  ];
}

const SERVICE_KEY = 'namespace, service';
const LATENCY_KEY = 'namespace, service, le';

function sloRules(): RecordingRule[] {
  const rules: RecordingRule[] = [
    { record: SLO_RECORDINGS.windowRatio30d, expr: `max by (${SERVICE_KEY}) (${SLO_METRIC.windowSeconds}) / ${SLO_REFERENCE_WINDOW_SECONDS}` },
  ];
  for (const w of SLO_BURN_WINDOWS) {
    const slowRatio = [
      `1 - (`,
      `  (${SERVICE_LEVEL.sum(BUCKET, w, undefined, ['le'])} and on (${LATENCY_KEY}) ${SLO_METRIC.latencyObjective})`,
      `  / on (${SERVICE_KEY}) group_left ()`,
      `  ${SERVICE_LEVEL.sum(COUNT, w)}`,
      `)`,
    ].join('\n');
    rules.push(
      { record: SLO_RECORDINGS.errorRatio(w), expr: responseRatio(SERVICE_LEVEL, w, FAILURE) },
      { record: SLO_RECORDINGS.slowRatio(w), expr: slowRatio },
      // The error budget is 1 − objective: a burn rate of 1 spends exactly the budget over the SLO window.
      {
        record: SLO_RECORDINGS.successBurnRate(w),
        expr: `${SLO_RECORDINGS.errorRatio(w)}\n/ on (${SERVICE_KEY})\n(1 - max by (${SERVICE_KEY}) (${SLO_METRIC.successRateObjective}))`,
      },
      {
        record: SLO_RECORDINGS.latencyBurnRate(w),
        expr: `${SLO_RECORDINGS.slowRatio(w)}\n/ on (${LATENCY_KEY})\n(1 - max by (${LATENCY_KEY}) (${SLO_METRIC.latencyObjective}))`,
      },
    );
  }
  return rules;
}

/**
 * Both windows above the factor: the long window says enough budget is gone, the short one that it is still
 * going (so the alert resolves minutes after the burn stops). The factors are for a 30-day SLO (14.4 spends 2 %
 * of it in an hour); a window W scales them by W / 30 d, so the same share of budget is spent.
 */
function burnAlerts(): AlertingRule[] {
  return SLO_BURN_ALERTS.map(({ name, objective, factor, long, short, severity }) => {
    const burn = objective === 'success' ? SLO_RECORDINGS.successBurnRate : SLO_RECORDINGS.latencyBurnRate;
    const key = objective === 'success' ? SERVICE_KEY : LATENCY_KEY;
    const above = (w: SloBurnWindow) => `${burn(w)} > on (${SERVICE_KEY}) group_left () (${factor} * ${SLO_RECORDINGS.windowRatio30d})`;
    const what = objective === 'success' ? 'success-rate' : 'latency (le {{ $labels.le }} ms)';
    return {
      alert: name,
      expr: `(\n  ${above(long)}\n)\nand on (${key})\n(\n  ${above(short)}\n)`,
      labels: { severity },
      annotations: {
        summary: `{{ $labels.namespace }}/{{ $labels.service }} burns its ${what} error budget fast`,
        description:
          `{{ $labels.namespace }}/{{ $labels.service }} spends its ${what} error budget {{ $value | humanize }} times as fast as its SLO allows ` +
          `over ${long} (and still over ${short}); at ${factor}× (scaled to its window) the whole budget would be gone in ${(720 / factor).toFixed(0)} hours.`,
      },
    };
  });
}

export function prometheusRuleGroups(): RuleGroup[] {
  return [
    ...PROXY_WORKLOAD_KINDS.map((kind) => ({
      name: `weft-${kind}`,
      rules: goldenRules(workloadLevel(WORKLOAD_SERIES_LABEL[kind]), WORKLOAD_RECORDINGS[kind]),
    })),
    { name: 'weft-service', rules: goldenRules(SERVICE_LEVEL, SERVICE_RECORDINGS) },
    // One group: rules in a group run in order, so each alert reads the burn rates of the same evaluation.
    { name: 'weft-slo', rules: [...sloRules(), ...burnAlerts()] },
  ];
}
