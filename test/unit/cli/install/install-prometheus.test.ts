// `weft install prometheus` as a command (under a stand-in `install` parent: the real one is wired in cli/main.ts),
// the shape of what it prints, and deploy/grafana/ kept equal to the code that generates it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import t from 'tap';
import YAML from 'yaml';
import { registerInstallPrometheus } from '../../../../cli/commands/install-prometheus';
import { dashboardJson, grafanaDashboards } from '../../../../cli/install/grafana';
import { prometheusConfig } from '../../../../cli/install/prometheus';
import { ADMIN_PORT_NAME, PROMETHEUS_CONFIG_FILE, PROMETHEUS_RULES_FILE, PROXY_CONTAINER } from '../../../../common/contract';
import { UsageError } from '../../../../common/errors';

async function run(args: string[]): Promise<string> {
  const program = new Command('weft').exitOverride().configureOutput({ writeErr: () => {} });
  registerInstallPrometheus(program.command('install').exitOverride());
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'weft', 'install', 'prometheus', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

interface Job {
  job_name: string;
  honor_labels?: boolean;
  kubernetes_sd_configs: { role: string; api_server?: string; namespaces?: { names: string[] } }[];
  relabel_configs: { source_labels?: string[]; regex?: string; action?: string; target_label?: string }[];
}

t.test('prints a ConfigMap holding prometheus.yml and the rules it names', async (t) => {
  const [doc] = YAML.parseAllDocuments(await run([])).map((d) => d.toJSON());
  t.match(doc, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'weft-prometheus', namespace: 'weft' } });
  const config = YAML.parse(doc.data[PROMETHEUS_CONFIG_FILE]);
  t.same(config.rule_files, [PROMETHEUS_RULES_FILE], 'named relatively: Prometheus reads it beside the config');
  t.ok(YAML.parse(doc.data[PROMETHEUS_RULES_FILE]).groups.length > 0);
  const [proxy, controller] = config.scrape_configs as Job[];
  t.match(proxy.kubernetes_sd_configs, [{ role: 'pod' }]);
  t.notOk(proxy.kubernetes_sd_configs[0].api_server, 'in the cluster by default');
  t.same(proxy.relabel_configs[0], {
    source_labels: ['__meta_kubernetes_pod_container_name', '__meta_kubernetes_pod_container_port_name', '__meta_kubernetes_pod_label_weft_io_control_plane_ns'],
    regex: `${PROXY_CONTAINER};${ADMIN_PORT_NAME};weft`,
    action: 'keep',
  });
  t.ok(
    proxy.relabel_configs.some((r) => r.source_labels?.[0] === '__meta_kubernetes_pod_label_weft_io_proxy_job' && r.target_label === 'k8s_job'),
    'a Job is k8s_job, not Prometheus’ own job label',
  );
  t.same(controller.kubernetes_sd_configs, [{ role: 'pod', namespaces: { names: ['weft'] } }]);
  t.equal(controller.honor_labels, true, 'the SLO gauges keep the namespace of the Service they describe');
});

t.test('--format config|rules print one file; --namespace, --api-server and --scrape-interval reach it', async (t) => {
  const config = YAML.parse(await run(['--format', 'config', '--namespace', 'mesh', '--api-server', 'https://10.0.0.1:6443', '--scrape-interval', '30s']));
  t.same(config.global, { scrape_interval: '30s', evaluation_interval: '30s' });
  const [proxy, controller] = config.scrape_configs as Job[];
  t.equal(proxy.kubernetes_sd_configs[0].api_server, 'https://10.0.0.1:6443');
  t.match(proxy.relabel_configs[0].regex, /;mesh$/);
  t.same(controller.kubernetes_sd_configs[0].namespaces, { names: ['mesh'] });
  const rules = YAML.parse(await run(['--format', 'rules']));
  t.ok(rules.groups.some((g: { name: string }) => g.name === 'weft-slo'));
  t.same(YAML.parse(await run(['--format', 'config'])), prometheusConfig(), 'the defaults are prometheusConfig()’s');
});

t.test('bad input is a usage error naming the flag', async (t) => {
  await t.rejects(run(['--scrape-interval', '10']), new UsageError('--scrape-interval "10" is not a duration of at least 1s: write a number with a unit: 250ms, 10s, 1m, 24h'));
  await t.rejects(run(['--scrape-interval', '500ms']), UsageError);
  await t.rejects(run(['--api-server', '10.0.0.1:6443']), /--api-server "10.0.0.1:6443" is not a URL/);
  await t.rejects(run(['--format', 'helm']), { code: 'commander.invalidArgument', message: /Allowed choices are configmap, config, rules/ });
});

t.test('deploy/grafana/ holds exactly what cli/install/grafana.ts generates (npx tsx scripts/grafana-dashboards.ts)', async (t) => {
  const dir = path.join(__dirname, '..', '..', '..', '..', 'deploy', 'grafana');
  const dashboards = grafanaDashboards();
  t.same(fs.readdirSync(dir).sort(), Object.keys(dashboards).sort());
  for (const [file, dashboard] of Object.entries(dashboards)) t.equal(fs.readFileSync(path.join(dir, file), 'utf8'), dashboardJson(dashboard), file);
});

t.test('dashboards: unique panel ids, every panel on the Prometheus variable, within the 24-column grid', async (t) => {
  for (const [file, dashboard] of Object.entries(grafanaDashboards())) {
    const ids = dashboard.panels.map((p) => p.id);
    t.equal(new Set(ids).size, ids.length, `${file}: panel ids unique`);
    t.ok(dashboard.panels.every((p) => p.datasource.uid === '${datasource}' && p.targets.length > 0), `${file}: every panel queries the chosen Prometheus`);
    t.ok(dashboard.panels.every((p) => p.gridPos.x + p.gridPos.w <= 24), `${file}: panels within the grid`);
    t.equal(dashboard.templating.list[0].type, 'datasource');
  }
});
