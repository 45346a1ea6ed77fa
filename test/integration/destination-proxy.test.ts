// A real proxy discovering through a real weft-controller that watches the test Kubernetes API server, through
// churn: scale up and down, a rollout, a controller restart and an API server restart. Pods are HTTP servers
// on their own loopback IPs (127.0.0.x, one shared port, as pod IPs share a target port); each counts what it
// serves, so the test can prove that no request reaches a removed pod once the proxy has the update.
import * as http from 'node:http';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { formatHostPort } from '../../common/address';
import { DESTINATION_METRIC, ENV, PROXY_ERROR } from '../../common/contract';
import { startController } from '../fixtures/controller-process';
import { send, waitFor } from '../fixtures/http-client';
import { startKubeApiServer, type KubeApiServer } from '../fixtures/kube-api-server';
import { metricValue, startProxy, type ProxyProcess } from '../fixtures/proxy-process';

const AUTHORITY = 'web.demo.svc.cluster.local';
const POD_IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8'];

interface Pods {
  port: number;
  served: Map<string, number>;
  ipOf(pod: string): string;
}

/** web-1 … web-7: one server per pod IP, all on one port; each answers with its pod name. */
async function startPods(t: Test): Promise<Pods> {
  const served = new Map<string, number>();
  let port = 0;
  for (const [i, ip] of POD_IPS.entries()) {
    const name = `web-${i + 1}`;
    served.set(name, 0);
    const server = http.createServer((_req, res) => {
      served.set(name, served.get(name)! + 1);
      res.end(name);
    });
    await new Promise<void>((resolve) => server.listen(port, ip, resolve));
    port = (server.address() as AddressInfo).port;
    t.teardown(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
  }
  return { port, served, ipOf: (pod) => POD_IPS[Number(pod.slice('web-'.length)) - 1] };
}

function setPods(kube: KubeApiServer, pods: Pods, names: string[]): void {
  for (const name of names) {
    try {
      kube.store.get('Pod', name, 'demo');
    } catch {
      kube.store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'demo' }, spec: { containers: [{ name: 'app', image: 'web' }] }, status: { podIP: pods.ipOf(name) } });
    }
  }
  kube.store.apply({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', namespace: 'demo', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: pods.port }],
    endpoints: names.map((name) => ({ addresses: [pods.ipOf(name)], conditions: { ready: true }, targetRef: { kind: 'Pod', name, namespace: 'demo' } })),
  });
}

/** Sends `n` requests through the proxy; every one must succeed. Returns which pods answered. */
async function traffic(t: Test, proxy: ProxyProcess, n: number, authority = AUTHORITY): Promise<Set<string>> {
  const answered = new Set<string>();
  for (let i = 0; i < n; i++) {
    const reply = await send(proxy.outbound, { authority });
    if (reply.status !== 200) t.fail(`request ${i} answered ${reply.status}: ${reply.body.toString()}`);
    answered.add(reply.body.toString());
  }
  return answered;
}

const updates = async (proxy: ProxyProcess, kind: string) => metricValue(await proxy.metrics(), DESTINATION_METRIC.clientUpdatesTotal, { kind });

t.test('the proxy follows churn and restarts, and never sends to a pod after its removal arrives', async (t) => {
  const pods = await startPods(t);
  const kube = await startKubeApiServer({ namespaces: ['default', 'demo'] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-destination-proxy-'));
  t.teardown(async () => {
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  kube.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'demo' }, spec: { ports: [{ name: 'http', port: 80, targetPort: pods.port }] } });
  setPods(kube, pods, ['web-1', 'web-2']);
  const kubeconfig = kube.kubeconfigFile(dir);
  let controller = await startController(t, ['--kubeconfig', kubeconfig, '--destination-plaintext']);
  const destinationAddr = formatHostPort(controller.destination!);
  const proxy = await startProxy(t, { env: { [ENV.destinationSvcAddr]: destinationAddr, [ENV.destinationContext]: JSON.stringify({ ns: 'demo' }) } });

  const onlyWeb12 = (answered: Set<string>) => answered.size > 0 && [...answered].every((pod) => pod === 'web-1' || pod === 'web-2');
  t.ok(onlyWeb12(await traffic(t, proxy, 20)), 'the first request waits for discovery; the service pods serve');
  t.ok(onlyWeb12(await traffic(t, proxy, 4, 'web')), 'a short name resolves in the proxy namespace');

  // Removal of a pod: once the proxy has the update, the pod gets nothing more (its server still runs).
  async function expectGone(gone: string[], step: string, removesBefore: number): Promise<void> {
    await waitFor(`the proxy to receive the removal (${step})`, async () => (await updates(proxy, 'remove')) > removesBefore, 20_000);
    const before = gone.map((pod) => pods.served.get(pod));
    const answered = await traffic(t, proxy, 30);
    t.same(gone.map((pod) => pods.served.get(pod)), before, `${step}: no request reached ${gone.join(', ')} after the update`);
    t.notOk(gone.some((pod) => answered.has(pod)), `${step}: answered by ${[...answered].sort().join(', ')}`);
  }

  setPods(kube, pods, ['web-1', 'web-2', 'web-3']);
  // One request at a time leaves nothing pending, so P2C compares latency estimates alone: web-3 starts at the
  // 30 ms default and is picked once that has decayed (τ = 10 s) below web-1's and web-2's measured ~1 ms, which on
  // a fast machine takes ~35 s. The deadline allows for that; most runs see web-3 much sooner.
  await waitFor('web-3 to serve after scaling up', async () => (await traffic(t, proxy, 5)).has('web-3'), 60_000);

  let removes = await updates(proxy, 'remove');
  setPods(kube, pods, ['web-2', 'web-3']);
  kube.store.delete('Pod', 'web-1', 'demo');
  await expectGone(['web-1'], 'scale down', removes);

  // A rollout: new pods first, then the old ones go; requests keep succeeding throughout.
  removes = await updates(proxy, 'remove');
  const during = traffic(t, proxy, 40);
  setPods(kube, pods, ['web-2', 'web-3', 'web-4', 'web-5']);
  setPods(kube, pods, ['web-4', 'web-5']);
  await during;
  await expectGone(['web-2', 'web-3'], 'rollout', removes);

  // The controller goes away: the last known endpoints stay in force (no blackhole), and the proxy says it is stale.
  await controller.stop('SIGKILL');
  const whileDown = await traffic(t, proxy, 10);
  t.ok([...whileDown].every((pod) => pod === 'web-4' || pod === 'web-5'), `requests still succeed, on the last known pods: ${[...whileDown].sort().join(', ')}`);
  await waitFor('the proxy to report its streams reconnecting', async () => metricValue(await proxy.metrics(), DESTINATION_METRIC.clientStreams, { state: 'reconnecting' }) >= 1, 10_000);
  setPods(kube, pods, ['web-5', 'web-6']);
  controller = await startController(t, ['--kubeconfig', kubeconfig, '--destination-plaintext', '--destination-addr', destinationAddr]);
  // The restarted controller's first message is the whole set: the proxy replaces its view with it. (A new
  // endpoint may get little traffic at first: the balancer prefers endpoints it has measured.)
  await waitFor('web-6 to serve after the controller restart', async () => (await traffic(t, proxy, 5)).has('web-6'), 30_000);
  const beforeWeb4 = pods.served.get('web-4');
  const afterRestart = await traffic(t, proxy, 30);
  t.equal(pods.served.get('web-4'), beforeWeb4, 'web-4, removed while the controller was down, gets nothing');
  t.notOk(afterRestart.has('web-4'), `the view converged after the controller restart: ${[...afterRestart].sort().join(', ')}`);
  await waitFor('every stream live again', async () => metricValue(await proxy.metrics(), DESTINATION_METRIC.clientStreams, { state: 'reconnecting' }) === 0, 15_000);
  t.equal(metricValue(await proxy.metrics(), DESTINATION_METRIC.clientStaleSeconds), 0, 'nothing stale once reconnected');

  // The API server restarts without its watch history while pods change: the controller relists.
  removes = await updates(proxy, 'remove');
  const adds = await updates(proxy, 'add');
  await kube.stop();
  setPods(kube, pods, ['web-6', 'web-7']);
  kube.store.delete('Pod', 'web-5', 'demo');
  kube.forgetHistory();
  await kube.start();
  await expectGone(['web-5'], 'API server restart', removes);
  // web-7's addition arrives; whether it serves soon is the balancer's warm-up (a new endpoint starts at 30 ms).
  await waitFor('the proxy to receive web-7', async () => (await updates(proxy, 'add')) > adds, 20_000);

  // An unknown service fails fast, naming it.
  const started = Date.now();
  const unknown = await send(proxy.outbound, { authority: 'nope.demo.svc.cluster.local' });
  t.equal(unknown.status, 503);
  t.ok(unknown.headers[PROXY_ERROR], `weft-proxy-error: ${unknown.headers[PROXY_ERROR]}`);
  t.match(unknown.body.toString(), /nope\.demo\.svc\.cluster\.local/, 'the answer names the service');
  t.ok(Date.now() - started < 1500, `answered in ${Date.now() - started} ms`);
});
