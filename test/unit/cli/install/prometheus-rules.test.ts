// `weft install prometheus` checked by Prometheus' own tool: the configuration and rules load (`promtool check`),
// and `promtool test rules` evaluates the recording rules and the burn-rate alerts over synthetic series.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import YAML from 'yaml';
import { prometheusConfig, prometheusRules } from '../../../../cli/install/prometheus';
import {
  PROMETHEUS_RULES_FILE,
  SERVICE_RECORDINGS,
  SLO_METRIC,
  SLO_RECORDINGS,
  WORKLOAD_RECORDINGS,
} from '../../../../common/contract';
import { withPodRoleSd } from '../../../fixtures/prometheus-pod-sd';

const PROMTOOL = '/usr/bin/promtool';
const missing = (() => {
  try {
    accessSync(PROMTOOL, constants.X_OK);
    return undefined;
  } catch {
    return `${PROMTOOL} is not installed (Debian package \`prometheus\`)`;
  }
})();

function promtool(args: string[], cwd: string): { code: number | null; output: string } {
  const run = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

function workDir(t: Test): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-promtool-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, PROMETHEUS_RULES_FILE), YAML.stringify(prometheusRules()));
  return dir;
}

t.test('promtool check config: the scrape jobs and the rules file they name load', { skip: missing }, async (t) => {
  const dir = workDir(t);
  // Debian's promtool has no Kubernetes SD: the same jobs, discovered over http_sd, is what it can parse.
  const config = withPodRoleSd(prometheusConfig() as never, { url: () => 'http://127.0.0.1:9/targets' });
  writeFileSync(path.join(dir, 'prometheus.yml'), YAML.stringify(config));
  const checked = promtool(['check', 'config', 'prometheus.yml'], dir);
  t.equal(checked.code, 0, checked.output);
  t.match(checked.output, /SUCCESS: \d+ rules found/, 'the rules file was read through rule_files');
});

t.test('promtool check rules', { skip: missing }, async (t) => {
  const dir = workDir(t);
  const checked = promtool(['check', 'rules', PROMETHEUS_RULES_FILE], dir);
  t.equal(checked.code, 0, checked.output);
});

// --- promtool test rules ---------------------------------------------------------------------------------------

type Labels = Record<string, string>;
const series = (name: string, labels: Labels, values: string) => ({
  series: `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`,
  values,
});
/** A counter rising by `perMinute` every minute for two hours. */
const rising = (perMinute: number) => `0+${perMinute}x120`;
const constant = (value: number) => `${value}x120`;

const inbound = (deployment: string, extra: Labels = {}) => ({ direction: 'inbound', namespace: 'demo', deployment, pod: `${deployment}-0`, ...extra });
/** A client in `namespace` calling Service `service` in demo. */
const outbound = (service: string, clientNs = 'demo') => ({
  direction: 'outbound', namespace: clientNs, deployment: 'client', pod: 'client-0', dst_namespace: 'demo', dst_service: service,
});
const controller = (pod: string) => ({ job: 'weft-controller', namespace: 'demo', pod, container: 'destination' });

function responses(labels: Labels, success: number, failure: number) {
  return [
    series('response_total', { ...labels, classification: 'success' }, rising(success)),
    series('response_total', { ...labels, classification: 'failure' }, rising(failure)),
  ];
}
/** `cumulative[i]` responses per minute at or under LE[i], the last being +Inf. */
function latencies(labels: Labels, bounds: string[], cumulative: number[]) {
  return [
    ...bounds.map((le, i) => series('response_latency_ms_bucket', { ...labels, le }, rising(cumulative[i]))),
    series('response_latency_ms_count', labels, rising(cumulative[cumulative.length - 1])),
  ];
}
function successSlo(service: string, objective: number, windowSeconds = 2_592_000, pods = ['weft-destination-0']) {
  return pods.flatMap((pod) => [
    series(SLO_METRIC.successRateObjective, { ...controller(pod), service }, constant(objective)),
    series(SLO_METRIC.windowSeconds, { ...controller(pod), service }, constant(windowSeconds)),
  ]);
}
function latencySlo(service: string, le: string, objective: number) {
  return [
    series(SLO_METRIC.latencyObjective, { ...controller('weft-destination-0'), service, le }, constant(objective)),
    series(SLO_METRIC.windowSeconds, { ...controller('weft-destination-0'), service }, constant(2_592_000)),
  ];
}

const D = WORKLOAD_RECORDINGS.deployment;
const at = '70m';
const web = { namespace: 'demo', deployment: 'web', direction: 'inbound' };
const api = { namespace: 'demo', service: 'api' };

const inputSeries = [
  // Recording rules.
  ...responses(inbound('web'), 57, 3),
  ...latencies(inbound('web'), ['10', '20', '50', '100', '+Inf'], [20, 40, 54, 60, 60]),
  ...responses(inbound('broken'), 0, 30),
  ...responses(outbound('api'), 60, 0),
  ...responses(outbound('api', 'other'), 30, 30),
  // Success-rate SLOs (objective 99.9 %: a burn rate of 1 is 0.1 % failures).
  ...responses(outbound('burning'), 95, 5), // burn 50
  ...successSlo('burning', 0.999, 2_592_000, ['weft-destination-0', 'weft-destination-1']),
  ...responses(outbound('smoldering'), 99, 1), // burn 10: slow only
  ...successSlo('smoldering', 0.999),
  ...responses(outbound('healthy'), 999, 1), // burn 1
  ...successSlo('healthy', 0.999),
  // 20 % failures for the first 40 minutes, none since: both long windows still far above, both short ones at 0.
  series('response_total', { ...outbound('recovered'), classification: 'success' }, '0+80x40 3200+100x80'),
  series('response_total', { ...outbound('recovered'), classification: 'failure' }, '0+20x40 800+0x80'),
  ...successSlo('recovered', 0.999),
  ...responses(outbound('weekly'), 99, 1), // burn 10 against a 7-day window: above 14.4 × 7/30 = 3.36
  ...successSlo('weekly', 0.999, 604_800),
  ...responses(outbound('unwatched'), 50, 50), // no SLO, no alert
  // Latency SLOs (99 % under 300 ms: a burn rate of 1 is 1 % slower).
  ...latencies(outbound('sluggish'), ['100', '300', '+Inf'], [50, 80, 100]), // 20 % slower: burn 20
  ...latencySlo('sluggish', '300', 0.99),
  ...latencies(outbound('lagging'), ['100', '300', '+Inf'], [50, 92, 100]), // 8 % slower: burn 8, slow only
  ...latencySlo('lagging', '300', 0.99),
  ...latencies(outbound('brisk'), ['100', '300', '+Inf'], [900, 995, 1000]), // 0.5 % slower: burn 0.5
  ...latencySlo('brisk', '300', 0.99),
];

/** Prometheus' `humanize` of the burn rates used here (whole numbers or few decimals). */
const humanize = (value: number) => String(Number(value.toPrecision(4)));

function expectedAlert(objective: 'success' | 'latency', severity: string, service: string, burn: number, long: string, short: string, factor: number, le?: string) {
  const what = objective === 'success' ? 'success-rate' : `latency (le ${le} ms)`;
  return {
    exp_labels: { severity, namespace: 'demo', service, ...(le ? { le } : {}) },
    exp_annotations: {
      summary: `demo/${service} burns its ${what} error budget fast`,
      description:
        `demo/${service} spends its ${what} error budget ${humanize(burn)} times as fast as its SLO allows over ${long} (and still over ${short}); ` +
        `at ${factor}× (scaled to its window) the whole budget would be gone in ${(720 / factor).toFixed(0)} hours.`,
    },
  };
}
const fast = (objective: 'success' | 'latency', service: string, burn: number, le?: string) => expectedAlert(objective, 'page', service, burn, '1h', '5m', 14.4, le);
const slow = (objective: 'success' | 'latency', service: string, burn: number, le?: string) => expectedAlert(objective, 'ticket', service, burn, '6h', '30m', 6, le);

const ruleTests = {
  rule_files: [PROMETHEUS_RULES_FILE],
  evaluation_interval: '1m',
  tests: [
    {
      interval: '1m',
      input_series: inputSeries,
      promql_expr_test: [
        { expr: `${D.requestRate}{deployment="web"}`, eval_time: at, exp_samples: [{ labels: `${D.requestRate}${braces(web)}`, value: 1 }] },
        { expr: `${D.successRate}{deployment="web"}`, eval_time: at, exp_samples: [{ labels: `${D.successRate}${braces(web)}`, value: 0.95 }] },
        // Every response failed: 0, not an absent series.
        {
          expr: `${D.successRate}{deployment="broken"}`,
          eval_time: at,
          exp_samples: [{ labels: `${D.successRate}${braces({ ...web, deployment: 'broken' })}`, value: 0 }],
        },
        // (Rounded: float sums are not exact.) Rank 30 of 60 in (10, 20] holding 20: 10 + 10 × 10/20; rank 57 and 59.4 in (50, 100] holding 6.
        { expr: `round(${D.latencyP50}{deployment="web"}, 0.001)`, eval_time: at, exp_samples: [{ labels: braces(web), value: 15 }] },
        { expr: `round(${D.latencyP95}{deployment="web"}, 0.001)`, eval_time: at, exp_samples: [{ labels: braces(web), value: 75 }] },
        { expr: `round(${D.latencyP99}{deployment="web"}, 0.001)`, eval_time: at, exp_samples: [{ labels: braces(web), value: 95 }] },
        // Clients in two namespaces, one Service: labelled with the Service's namespace.
        { expr: `${SERVICE_RECORDINGS.requestRate}{service="api"}`, eval_time: at, exp_samples: [{ labels: `${SERVICE_RECORDINGS.requestRate}${braces(api)}`, value: 2 }] },
        {
          expr: `${SERVICE_RECORDINGS.successRate}{service="api"}`,
          eval_time: at,
          exp_samples: [{ labels: `${SERVICE_RECORDINGS.successRate}${braces(api)}`, value: 0.75 }],
        },
        {
          expr: `round(${SLO_RECORDINGS.successBurnRate('1h')}{service="burning"}, 0.001)`,
          eval_time: at,
          exp_samples: [{ labels: braces({ namespace: 'demo', service: 'burning' }), value: 50 }],
        },
        {
          expr: `round(${SLO_RECORDINGS.latencyBurnRate('5m')}{service="sluggish"}, 0.001)`,
          eval_time: at,
          exp_samples: [{ labels: braces({ namespace: 'demo', service: 'sluggish', le: '300' }), value: 20 }],
        },
        // `recovered` fires nothing although its long windows burn far above both factors: its short ones are at 0.
        {
          expr: `${SLO_RECORDINGS.successBurnRate('1h')}{service="recovered"} > bool 14.4`,
          eval_time: at,
          exp_samples: [{ labels: braces({ namespace: 'demo', service: 'recovered' }), value: 1 }],
        },
        {
          expr: `${SLO_RECORDINGS.successBurnRate('6h')}{service="recovered"} > bool 6`,
          eval_time: at,
          exp_samples: [{ labels: braces({ namespace: 'demo', service: 'recovered' }), value: 1 }],
        },
        {
          expr: `${SLO_RECORDINGS.successBurnRate('5m')}{service="recovered"}`,
          eval_time: at,
          exp_samples: [{ labels: `${SLO_RECORDINGS.successBurnRate('5m')}${braces({ namespace: 'demo', service: 'recovered' })}`, value: 0 }],
        },
        {
          expr: `${SLO_RECORDINGS.windowRatio30d}{service="weekly"}`,
          eval_time: at,
          exp_samples: [{ labels: `${SLO_RECORDINGS.windowRatio30d}${braces({ namespace: 'demo', service: 'weekly' })}`, value: 7 / 30 }],
        },
      ],
      alert_rule_test: [
        { alertname: 'WeftSloSuccessRateFastBurn', eval_time: at, exp_alerts: [fast('success', 'burning', 50), fast('success', 'weekly', 10)] },
        {
          alertname: 'WeftSloSuccessRateSlowBurn',
          eval_time: at,
          exp_alerts: [slow('success', 'burning', 50), slow('success', 'smoldering', 10), slow('success', 'weekly', 10)],
        },
        { alertname: 'WeftSloLatencyFastBurn', eval_time: at, exp_alerts: [fast('latency', 'sluggish', 20, '300')] },
        { alertname: 'WeftSloLatencySlowBurn', eval_time: at, exp_alerts: [slow('latency', 'sluggish', 20, '300'), slow('latency', 'lagging', 8, '300')] },
        // Before there is any traffic nothing fires.
        { alertname: 'WeftSloSuccessRateFastBurn', eval_time: '0m', exp_alerts: [] },
      ],
    },
  ],
};

function braces(labels: Labels): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

t.test('promtool test rules: golden signals recorded, burn-rate alerts fire only when both windows burn', { skip: missing }, async (t) => {
  const dir = workDir(t);
  writeFileSync(path.join(dir, 'tests.yml'), YAML.stringify(ruleTests));
  const tested = promtool(['test', 'rules', 'tests.yml'], dir);
  t.equal(tested.code, 0, tested.output);
  t.match(tested.output, /SUCCESS/);
});

t.test('promtool test rules fails when an expected alert is missing (the test above can fail)', { skip: missing }, async (t) => {
  const dir = workDir(t);
  const wrong = structuredClone(ruleTests);
  wrong.tests[0].alert_rule_test[0].exp_alerts.push(fast('success', 'smoldering', 10));
  writeFileSync(path.join(dir, 'tests.yml'), YAML.stringify(wrong));
  const tested = promtool(['test', 'rules', 'tests.yml'], dir);
  t.not(tested.code, 0, 'promtool reports the difference');
  t.match(tested.output, /smoldering/);
});
