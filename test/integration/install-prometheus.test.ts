// `weft install prometheus | kubectl apply -f -` into the test API server, then a real Prometheus run on that
// ConfigMap's files, discovering the server's pods, scraping two real proxies (one a native-sidecar init
// container) and a real controller, recording the golden signals; every Grafana panel's PromQL is then
// evaluated against it. Debian's Prometheus has no Kubernetes SD: the pods reach it over http_sd with the
// upstream pod role's meta labels (test/fixtures/prometheus-pod-sd.ts); relabelling, scraping and rules are its own.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { formatHostPort, type HostPort } from '../../common/address';
import { applyJsonPatch } from '../../common/json-patch';
import {
  ADMIN_PORT_NAME,
  CONTROL_PLANE_NAMESPACE,
  CONTROLLER_ADMIN_PORT_NAME,
  identityName,
  PROMETHEUS_CONFIG_FILE,
  PROMETHEUS_CONFIG_MAP,
  PROMETHEUS_JOB,
  PROMETHEUS_RULES_FILE,
  PROXY_CONTAINER,
  SERVICE_RECORDINGS,
  WORKLOAD_RECORDINGS,
} from '../../common/contract';
import { grafanaDashboards, type GrafanaDashboard } from '../../cli/install/grafana';
import { renderInstallPrometheus } from '../../cli/install/prometheus';
import { inject } from '../../injector/inject';
import { parseMeshConfig } from '../../injector/mesh-config';
import { startController } from '../fixtures/controller-process';
import { startEchoServer } from '../fixtures/http-backends';
import { send, waitFor } from '../fixtures/http-client';
import { startTestIdentityService } from '../fixtures/identity';
import { startKubeApiServer } from '../fixtures/kube-api-server';
import { prometheusMissingReason, startPrometheusWithFiles, type PrometheusServer, type Sample } from '../fixtures/prometheus';
import { startPodRoleSd, withPodRoleSd } from '../fixtures/prometheus-pod-sd';
import { startProxy, writeEndpointsFile } from '../fixtures/proxy-process';

const KUBECTL = '/usr/bin/kubectl';
const API = 'api.demo.svc.cluster.local:8080';
const WEB = 'web.demo.svc.cluster.local:8080';
const PODS = { web: 'web-6d4b9c-x2k8p', api: 'api-7f8c5d-q9w4z' } as const;
/** One in FAILING_EVERY of web's requests to api asks for FAIL_PATH, which api's app answers with 500. */
const FAILING_EVERY = 4;
const FAIL_PATH = '/fail';
const TRAFFIC_LIMIT = { requests: 3000, ms: 50_000 };

function kubectlApply(kubeconfig: string, home: string, manifest: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, ['apply', '-f', '-'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kubectl apply exited ${code}: ${out}`));
    });
    child.stdin.end(manifest);
  });
}

/** A pod the real injector meshed, its admin port pointing at a running proxy's, with its IP on loopback. */
function meshedPod(name: string, deployment: string, adminPort: number, kubernetesMinor: number, anchorsPem: string) {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'demo', labels: { app: deployment } },
    spec: { containers: [{ name: 'app', image: 'example/app:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
  };
  const result = inject({
    pod,
    owner: { kind: 'Deployment', name: deployment },
    namespace: { metadata: { name: 'demo', annotations: { 'weft.io/inject': 'enabled' } } },
    mesh: parseMeshConfig({ trustAnchorsPem: anchorsPem }),
    kubernetesVersion: { major: 1, minor: kubernetesMinor },
  });
  if (result.kind !== 'injected') throw new Error(`the injector skipped ${name}: ${result.reason}`);
  const meshed = applyJsonPatch(structuredClone(pod), result.patch) as typeof pod & { spec: { initContainers?: IContainer[] } };
  const proxy = [...meshed.spec.containers, ...(meshed.spec.initContainers ?? [])].find((c) => c.name === PROXY_CONTAINER) as IContainer;
  proxy.ports!.find((p) => p.name === ADMIN_PORT_NAME)!.containerPort = adminPort;
  return { pod: { ...meshed, status: { phase: 'Running', podIP: '127.0.0.1', hostIP: '127.0.0.1' } }, sidecar: result.sidecar };
}

function missingReason(): string | undefined {
  if (!fs.existsSync(KUBECTL)) return `${KUBECTL} is not installed (kubectl v1.32, see DESIGN.md)`;
  return prometheusMissingReason();
}

const fill = (expr: string, vars: Record<string, string>) =>
  expr.replace(/\$__rate_interval/g, '1m').replace(/\$(\w+)/g, (whole, name: string) => vars[name] ?? whole);

t.test('weft install prometheus: discovery, scraping, recording rules and every dashboard panel against a real Prometheus', { skip: missingReason() ?? false }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-install-prometheus-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const kube = await startKubeApiServer({ namespaces: ['default', 'kube-system', 'demo', CONTROL_PLANE_NAMESPACE] });
  t.teardown(() => kube.close());
  const identity = await startTestIdentityService(t);

  // The mesh: web calls api through its proxy (mTLS between the two); a client calls both.
  const [webApp, apiApp] = await Promise.all([
    startEchoServer(t),
    startEchoServer(t, (req, res) => {
      if (req.url !== FAIL_PATH) return false;
      res.writeHead(500).end('failing on purpose');
      return true;
    }),
  ]);
  const clusterFile = path.join(dir, 'cluster.yaml');
  fs.writeFileSync(clusterFile, YAML.stringify({ services: [] }));

  // weft install prometheus | kubectl apply -f -, then Prometheus on the files of the ConfigMap the server holds
  // (discovery finds the proxies and the controller as their pods appear).
  const startMonitoring = async () => {
    const manifest = renderInstallPrometheus({ apiServer: kube.url, scrapeInterval: '1s' });
    const applied = await kubectlApply(kube.kubeconfigFile(dir), dir, manifest);
    const stored = kube.store.get('ConfigMap', PROMETHEUS_CONFIG_MAP, CONTROL_PLANE_NAMESPACE) as unknown as { data: Record<string, string> };
    const sd = await startPodRoleSd(t, kube.url);
    const config = withPodRoleSd(YAML.parse(stored.data[PROMETHEUS_CONFIG_FILE]), sd);
    const started = await startPrometheusWithFiles(t, { [PROMETHEUS_CONFIG_FILE]: YAML.stringify(config), [PROMETHEUS_RULES_FILE]: stored.data[PROMETHEUS_RULES_FILE] });
    return { applied, prometheus: started };
  };
  // The proxies first: they wait for their certificates within a fixed time, which a loaded machine needs whole.
  const [apiProxy, webProxy] = await Promise.all([
    startProxy(t, { app: apiApp.addr, identity: identity.proxyEnv('api', 'demo') }),
    startProxy(t, { app: webApp.addr, identity: identity.proxyEnv('web', 'demo'), services: [] }),
  ]);
  const [controller, monitoring] = await Promise.all([startController(t, ['--cluster-file', clusterFile, '--destination-plaintext']), startMonitoring()]);
  const { prometheus } = monitoring;
  t.match(monitoring.applied, `configmap/${PROMETHEUS_CONFIG_MAP} created`);
  writeEndpointsFile(webProxy.endpointsFile!, [
    {
      authority: API,
      endpoints: [{ addr: formatHostPort(apiProxy.inbound), identity: identityName('api', 'demo'), labels: { namespace: 'demo', service: 'api', pod: PODS.api } }],
    },
  ]);
  await waitFor('web’s proxy routes to api', async () => (await send(webProxy.outbound, { authority: API })).status !== 503, 15_000, 200);

  // The pods as the API server holds them: web a classic sidecar (Kubernetes 1.28), api a native one (1.29).
  const web = meshedPod(PODS.web, 'web', webProxy.admin.port, 28, identity.anchor.certPem);
  const api = meshedPod(PODS.api, 'api', apiProxy.admin.port, 29, identity.anchor.certPem);
  t.equal(web.sidecar, 'classic');
  t.equal(api.sidecar, 'native', 'api’s proxy is an init container with restartPolicy: Always');
  kube.store.create(web.pod);
  kube.store.create(api.pod);
  // Not scraped: a port named weft-admin on a container that is not the proxy, and the app ports of meshed pods.
  kube.store.create({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'impostor', namespace: 'demo', labels: { 'weft.io/control-plane-ns': CONTROL_PLANE_NAMESPACE } },
    spec: { containers: [{ name: 'app', image: 'example/app:1', ports: [{ name: ADMIN_PORT_NAME, containerPort: webProxy.admin.port }] }] },
    status: { phase: 'Running', podIP: '127.0.0.1' },
  });
  kube.store.create({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'weft-destination-5c7d9-abcde', namespace: CONTROL_PLANE_NAMESPACE },
    spec: { containers: [{ name: 'destination', image: 'example/controller:1', ports: [{ name: CONTROLLER_ADMIN_PORT_NAME, containerPort: controller.admin.port }, { name: 'grpc', containerPort: 8086 }] }] },
    status: { phase: 'Running', podIP: '127.0.0.1' },
  });

  // Traffic for as long as the checks run, bounded in count and time.
  let sending = true;
  const failures: string[] = [];
  const traffic = (async () => {
    const deadline = Date.now() + TRAFFIC_LIMIT.ms;
    for (let i = 0; sending && i < TRAFFIC_LIMIT.requests && Date.now() < deadline; i++) {
      // web → api over mTLS, the client → web, and the client → api (each on its own connection, closed after).
      const [to, authority]: [HostPort, string] = [[webProxy.outbound, API], [webProxy.inbound, WEB], [apiProxy.inbound, API]][i % 3] as [HostPort, string];
      const failing = i % 3 === 0 && (i / 3) % FAILING_EVERY === FAILING_EVERY - 1;
      await send(to, { authority, path: failing ? FAIL_PATH : `/r${i % 5}` }).catch((err: Error) => failures.push(err.message));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  t.teardown(async () => {
    sending = false;
    await traffic;
  });

  t.test('only the proxies’ weft-admin ports and the controller’s admin port are scraped, labelled by pod', async (t) => {
    const up = await prometheus.waitForQuery('up', (s) => s.length === 3 && s.every((x) => x.value === 1), 30_000);
    const byJob = (job: string) => up.filter((s) => s.metric.job === job).map((s) => s.metric).sort((a, b) => a.pod.localeCompare(b.pod));
    t.match(byJob(PROMETHEUS_JOB.proxy), [
      { instance: `127.0.0.1:${apiProxy.admin.port}`, namespace: 'demo', pod: PODS.api, deployment: 'api' },
      { instance: `127.0.0.1:${webProxy.admin.port}`, namespace: 'demo', pod: PODS.web, deployment: 'web' },
    ]);
    t.match(byJob(PROMETHEUS_JOB.controller), [{ instance: `127.0.0.1:${controller.admin.port}`, namespace: CONTROL_PLANE_NAMESPACE, container: 'destination' }]);
    const targets = (await prometheus.api('/api/v1/targets?state=any')) as { activeTargets: unknown[]; droppedTargets: { discoveredLabels: Record<string, string> }[] };
    t.equal(targets.activeTargets.length, 3, 'nothing else is scraped');
    const dropped = targets.droppedTargets.map((d) => `${d.discoveredLabels.__meta_kubernetes_pod_name}/${d.discoveredLabels.__meta_kubernetes_pod_container_name}:${d.discoveredLabels.__meta_kubernetes_pod_container_port_name ?? ''}`);
    for (const expected of ['impostor/app:weft-admin', `${PODS.web}/app:http`, `${PODS.web}/${PROXY_CONTAINER}:weft-proxy`, `${PODS.api}/weft-init:`]) {
      t.ok(dropped.includes(expected), `dropped ${expected}`);
    }
    t.ok(
      targets.droppedTargets.some((d) => d.discoveredLabels.__meta_kubernetes_pod_name === PODS.api && d.discoveredLabels.__meta_kubernetes_pod_container_init === 'true'),
      'the native sidecar’s pod lists init containers, and its proxy among them is what is kept',
    );
  });

  t.test('recording rules answer per deployment and per service', async (t) => {
    const D = WORKLOAD_RECORDINGS.deployment;
    const positive = (s: Sample[]) => s.length > 0 && s.every((x) => x.value > 0 && Number.isFinite(x.value));
    await prometheus.waitForQuery(`${D.requestRate}{deployment="web",direction="inbound"}`, positive, 30_000);
    await prometheus.waitForQuery(`${D.requestRate}{deployment="web",direction="outbound"}`, positive, 30_000);
    await prometheus.waitForQuery(`${D.requestRate}{deployment="api",direction="inbound"}`, positive, 30_000);
    // Early windows hold few requests: wait for enough of them to show the 1 in FAILING_EVERY that fail.
    const expected = 1 - 1 / FAILING_EVERY;
    const [apiSuccess] = await prometheus.waitForQuery(
      `${SERVICE_RECORDINGS.successRate}{namespace="demo",service="api"}`,
      (s) => s.length === 1 && Math.abs(s[0].value - expected) < 0.1,
      40_000,
    );
    t.pass(`api’s success rate as web sees it is near ${expected}: ${apiSuccess.value}`);
    const [webSuccess] = await prometheus.query(`${D.successRate}{deployment="web",direction="inbound"}`);
    t.equal(webSuccess?.value, 1, 'web’s own app never fails');
    for (const name of [D.latencyP50, D.latencyP95, D.latencyP99, SERVICE_RECORDINGS.latencyP99]) {
      const samples = await prometheus.waitForQuery(`${name}{namespace="demo"}`, positive, 30_000);
      t.ok(samples.every((s) => s.value <= 10_000), `${name}: ${samples.map((s) => s.value).join(', ')} ms`);
    }
  });

  t.test('every Grafana panel’s query answers without error, and with data', async (t) => {
    const variables = await dashboardVariables(prometheus);
    t.ok(variables.namespace.includes('demo'), `namespace variable: ${variables.namespace}`);
    t.same(variables.deployment, ['api', 'web'], 'deployment variable');
    t.same(variables.pod, [PODS.api, PODS.web].sort(), 'pod variable');
    const runs: [string, GrafanaDashboard, Record<string, string>][] = [];
    const dashboards = grafanaDashboards();
    runs.push(['top line', dashboards['weft-top-line.json'], {}]);
    runs.push(['deployment web', dashboards['weft-deployment.json'], { namespace: 'demo', deployment: 'web' }]);
    runs.push(['pod web', dashboards['weft-pod.json'], { namespace: 'demo', pod: PODS.web }]);
    runs.push(['pod api (native sidecar)', dashboards['weft-pod.json'], { namespace: 'demo', pod: PODS.api }]);
    for (const [name, dashboard, vars] of runs) {
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) {
          const expr = fill(target.expr, vars);
          t.notMatch(expr, /\$/, `${name} / ${panel.title}: every variable filled`);
          const samples = await prometheus.waitForQuery(expr, (s) => s.length > 0 && s.every((x) => !Number.isNaN(x.value)), 20_000);
          t.pass(`${name} / ${panel.title} [${target.refId}]: ${samples.length} series, e.g. ${samples[0].value}`);
        }
      }
    }
  });

  t.test('the traffic itself went through', async (t) => {
    sending = false;
    await traffic;
    t.same(failures, [], 'no request failed at the transport');
  });
});

/** Grafana's `label_values(selector, label)`, answered as Grafana does: from the series the selector matches. */
async function dashboardVariables(prometheus: PrometheusServer): Promise<Record<string, string[]>> {
  const values: Record<string, string[]> = {};
  const vars = { namespace: 'demo' };
  for (const variable of grafanaDashboards()['weft-pod.json'].templating.list.concat(grafanaDashboards()['weft-deployment.json'].templating.list)) {
    if (variable.type !== 'query' || typeof variable.query === 'string') continue;
    const m = /^label_values\((.+), (\w+)\)$/.exec(fill(variable.query.query, vars));
    if (!m) throw new Error(`not a label_values query: ${variable.query.query}`);
    const series = (await prometheus.api(`/api/v1/series?match[]=${encodeURIComponent(m[1])}`)) as Record<string, string>[];
    values[variable.name] = [...new Set(series.map((s) => s[m[2]]).filter(Boolean))].sort();
  }
  return values;
}
