// `weft install prometheus`: prints the mesh's Prometheus configuration (scrape jobs, recording rules, SLO
// burn-rate alerts) as a ConfigMap for `kubectl apply -f -`, or either file alone with --format.
import { Command, Option } from 'commander';
import { CONTROL_PLANE_NAMESPACE, PROMETHEUS_CONFIG_FILE, PROMETHEUS_CONFIG_MAP, PROMETHEUS_RULES_FILE } from '../../common/contract';
import { DURATION_FORM, formatDuration, parseDuration } from '../../common/duration';
import { UsageError } from '../../common/errors';
import { DEFAULT_SCRAPE_INTERVAL, PROMETHEUS_FORMATS, renderInstallPrometheus, type PrometheusFormat } from '../install/prometheus';

interface Options {
  format: PrometheusFormat;
  namespace: string;
  apiServer?: string;
  scrapeInterval: string;
}

export function registerInstallPrometheus(installCommand: Command): void {
  installCommand
    .command('prometheus')
    .description(
      `print a Prometheus configuration for the mesh: ConfigMap ${PROMETHEUS_CONFIG_MAP} with ${PROMETHEUS_CONFIG_FILE} and ${PROMETHEUS_RULES_FILE} ` +
        '(mount both into one directory of your Prometheus), or one of the files with --format',
    )
    .addOption(
      new Option('--format <format>', `configmap: both files in a ConfigMap; config: ${PROMETHEUS_CONFIG_FILE} alone; rules: ${PROMETHEUS_RULES_FILE} alone`)
        .choices(PROMETHEUS_FORMATS)
        .default('configmap'),
    )
    .option('--namespace <namespace>', 'namespace of the control plane (where the ConfigMap goes, and the controller is scraped)', CONTROL_PLANE_NAMESPACE)
    .option('--api-server <url>', 'Kubernetes API server for pod discovery, for a Prometheus outside the cluster (default: in-cluster)')
    .option('--scrape-interval <duration>', `how often to scrape and evaluate rules (${DURATION_FORM})`, DEFAULT_SCRAPE_INTERVAL)
    .action((opts: Options) => {
      const intervalMs = parseDuration(opts.scrapeInterval);
      if (intervalMs === undefined || intervalMs < 1000) {
        throw new UsageError(`--scrape-interval ${JSON.stringify(opts.scrapeInterval)} is not a duration of at least 1s: write ${DURATION_FORM}`);
      }
      if (opts.apiServer !== undefined && !/^https?:\/\/[^/]+/.test(opts.apiServer)) {
        throw new UsageError(`--api-server ${JSON.stringify(opts.apiServer)} is not a URL: write e.g. https://10.0.0.1:6443`);
      }
      process.stdout.write(
        renderInstallPrometheus({
          format: opts.format,
          controlPlaneNamespace: opts.namespace,
          apiServer: opts.apiServer,
          scrapeInterval: formatDuration(intervalMs),
        }),
      );
    });
}
