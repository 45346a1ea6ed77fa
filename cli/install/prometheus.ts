// `weft install prometheus`: a Prometheus configuration for the mesh, either as one ConfigMap holding
// prometheus.yml and the rules file (for `kubectl apply -f -`, to mount into a Prometheus at any directory), or
// as either file alone for a Prometheus run elsewhere.
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import YAML from 'yaml';
import { CONTROL_PLANE_NAMESPACE, PROMETHEUS_CONFIG_FILE, PROMETHEUS_CONFIG_MAP, PROMETHEUS_RULES_FILE } from '../../common/contract';
import { prometheusRuleGroups } from './prometheus-rules';
import { scrapeConfigs, type ScrapeOptions } from './prometheus-scrape';

export const PROMETHEUS_FORMATS = ['configmap', 'config', 'rules'] as const;
export type PrometheusFormat = (typeof PROMETHEUS_FORMATS)[number];

export interface PrometheusInstallOptions extends Partial<ScrapeOptions> {
  format?: PrometheusFormat;
}

export const DEFAULT_SCRAPE_INTERVAL = '10s';

function scrapeOptions(options: PrometheusInstallOptions): ScrapeOptions {
  return {
    controlPlaneNamespace: options.controlPlaneNamespace ?? CONTROL_PLANE_NAMESPACE,
    apiServer: options.apiServer,
    scrapeInterval: options.scrapeInterval ?? DEFAULT_SCRAPE_INTERVAL,
  };
}

/** prometheus.yml: the scrape jobs, and the rules file named beside it. */
export function prometheusConfig(options: PrometheusInstallOptions = {}): object {
  const scrape = scrapeOptions(options);
  return {
    global: { scrape_interval: scrape.scrapeInterval, evaluation_interval: scrape.scrapeInterval },
    rule_files: [PROMETHEUS_RULES_FILE],
    scrape_configs: scrapeConfigs(scrape),
  };
}

export function prometheusRules(): object {
  return { groups: prometheusRuleGroups() };
}

export function prometheusConfigMap(options: PrometheusInstallOptions = {}): ConfigMap {
  const configMap = new ConfigMap({
    metadata: { name: PROMETHEUS_CONFIG_MAP, namespace: scrapeOptions(options).controlPlaneNamespace },
    data: {
      [PROMETHEUS_CONFIG_FILE]: YAML.stringify(prometheusConfig(options)),
      [PROMETHEUS_RULES_FILE]: YAML.stringify(prometheusRules()),
    },
  });
  configMap.validate();
  return configMap;
}

/** What the command prints for `format`. */
export function renderInstallPrometheus(options: PrometheusInstallOptions = {}): string {
  switch (options.format ?? 'configmap') {
    case 'configmap':
      return `---\n${YAML.stringify(prometheusConfigMap(options).toJSON())}`;
    case 'config':
      return YAML.stringify(prometheusConfig(options));
    case 'rules':
      return YAML.stringify(prometheusRules());
  }
}
