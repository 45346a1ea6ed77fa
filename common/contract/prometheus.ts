// What `weft install prometheus` sets up (CONTRACT.md "Install and check", "Tap, CLI views, dashboard, SLOs"):
// scrape jobs, the labels they put on every series, and the names of the recording rules and alerts, so the CLI
// views and the dashboard query the same series the rules write.
//
// Per route: nothing yet. The proxy has no route label (no `rt_route` / `route` on response_total), so there are
// no per-route rules; they come with the first label that names a route.
import type { ProxyWorkloadKind } from './annotations';

export const PROMETHEUS_JOB = { proxy: 'weft-proxy', controller: 'weft-controller' } as const;

/** The name of the controller containers' admin port (CONTROLLER_ADMIN_ADDR) in the install's pod specs. */
export const CONTROLLER_ADMIN_PORT_NAME = 'admin-http';

/**
 * The label each proxy's series carry for its pod's workload (from `weft.io/proxy-<kind>`). A Job is `k8s_job`:
 * `job` is Prometheus' own label (the scrape job), as in Linkerd's configuration.
 */
export const WORKLOAD_SERIES_LABEL: Readonly<Record<ProxyWorkloadKind, string>> = {
  deployment: 'deployment',
  statefulset: 'statefulset',
  daemonset: 'daemonset',
  replicaset: 'replicaset',
  job: 'k8s_job',
  cronjob: 'cronjob',
};
/** Labels every proxy series carries from its pod, besides the workload's. */
export const POD_SERIES_LABELS = { namespace: 'namespace', pod: 'pod' } as const;

/** The window of the recorded rates the CLI views and dashboards read. */
export const VIEW_RATE_WINDOW = '1m';

/** Names of the golden-signal recordings at one level; each series also carries the labels the level names. */
export interface GoldenRecordings {
  /** Responses per second (as Linkerd's RPS: completed requests). */
  requestRate: string;
  /** Ratio of responses classified `success`, 0..1; 0 (not absent) when every response failed. */
  successRate: string;
  /** Per-second rates of `response_latency_ms_bucket`, by `le`: what the quantiles are computed from. */
  latencyBucketRate: string;
  latencyP50: string;
  latencyP95: string;
  latencyP99: string;
}

function goldenRecordings(level: string): GoldenRecordings {
  const w = VIEW_RATE_WINDOW;
  return {
    requestRate: `${level}:response_total:rate${w}`,
    successRate: `${level}:response_total:success_ratio_rate${w}`,
    latencyBucketRate: `${level}:response_latency_ms_bucket:rate${w}`,
    latencyP50: `${level}:response_latency_ms:p50_rate${w}`,
    latencyP95: `${level}:response_latency_ms:p95_rate${w}`,
    latencyP99: `${level}:response_latency_ms:p99_rate${w}`,
  };
}

/**
 * Per workload, labelled `namespace`, the workload's label (WORKLOAD_SERIES_LABEL) and `direction`: inbound is
 * what the workload served, outbound what it asked of others.
 */
export const WORKLOAD_RECORDINGS: Readonly<Record<ProxyWorkloadKind, GoldenRecordings>> = Object.fromEntries(
  Object.entries(WORKLOAD_SERIES_LABEL).map(([kind, label]) => [kind, goldenRecordings(label)]),
) as Record<ProxyWorkloadKind, GoldenRecordings>;

/**
 * Per Service, from its clients' outbound series (`dst_namespace`, `dst_service`), labelled `namespace` and
 * `service`: the Service's own namespace and name, the labels the SLO gauges carry.
 */
export const SERVICE_RECORDINGS: GoldenRecordings = goldenRecordings('service');

/** The windows of the multi-window burn-rate alerts (the Google SRE workbook's, for a 30-day SLO). */
export const SLO_BURN_WINDOWS = ['5m', '30m', '1h', '6h'] as const;
export type SloBurnWindow = (typeof SLO_BURN_WINDOWS)[number];

/** Per Service (`namespace`, `service`; latency ones also `le`), one series per window. */
export const SLO_RECORDINGS = {
  /** Ratio of responses classified `failure`. */
  errorRatio: (w: SloBurnWindow) => `service:response_error:ratio_rate${w}`,
  /** Ratio of responses slower than the objective's `le` (only for the `le` an objective names). */
  slowRatio: (w: SloBurnWindow) => `service:response_slow:ratio_rate${w}`,
  /** How fast the success-rate error budget burns: 1 spends it exactly over the SLO window. */
  successBurnRate: (w: SloBurnWindow) => `service:slo_success_burn_rate:${w}`,
  latencyBurnRate: (w: SloBurnWindow) => `service:slo_latency_burn_rate:${w}`,
  /** slo_window_seconds / 30 days: the burn-rate thresholds are scaled by it. */
  windowRatio30d: 'service:slo_window:ratio_30d',
} as const;

/** The alert pairs: burn rate above `factor` (× window / 30 d) over both the long and the short window. */
export const SLO_BURN_ALERTS = [
  { name: 'WeftSloSuccessRateFastBurn', objective: 'success', factor: 14.4, long: '1h', short: '5m', severity: 'page' },
  { name: 'WeftSloSuccessRateSlowBurn', objective: 'success', factor: 6, long: '6h', short: '30m', severity: 'ticket' },
  { name: 'WeftSloLatencyFastBurn', objective: 'latency', factor: 14.4, long: '1h', short: '5m', severity: 'page' },
  { name: 'WeftSloLatencySlowBurn', objective: 'latency', factor: 6, long: '6h', short: '30m', severity: 'ticket' },
] as const satisfies readonly { name: string; objective: 'success' | 'latency'; factor: number; long: SloBurnWindow; short: SloBurnWindow; severity: string }[];

/** The 30-day window the burn-rate factors are defined for, in seconds. */
export const SLO_REFERENCE_WINDOW_SECONDS = 30 * 24 * 3600;

/** `weft install prometheus`: the ConfigMap (in the control-plane namespace) and its two files. */
export const PROMETHEUS_CONFIG_MAP = 'weft-prometheus';
export const PROMETHEUS_CONFIG_FILE = 'prometheus.yml';
/** Named relatively in prometheus.yml, which Prometheus resolves beside the config file wherever it is mounted. */
export const PROMETHEUS_RULES_FILE = 'weft-rules.yml';
