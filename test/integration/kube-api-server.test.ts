// The test Kubernetes API server, driven only by real clients: @kubernetes/client-node (what the controller
// uses) and kubectl (/usr/bin/kubectl v1.32; Debian's kubernetes-client conflicts with it, see DESIGN.md).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { apiError } from '../fixtures/kube/api-error';
import {
  AuthenticationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { TOKEN_AUDIENCE } from '../../common/contract';
import { startKubeApiServer, type KubeApiServer, type KubeApiServerOptions } from '../fixtures/kube-api-server';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

interface Harness {
  kube: KubeApiServer;
  kc: KubeConfig;
  core: CoreV1Api;
  dir: string;
}

async function harness(t: Test, options?: KubeApiServerOptions): Promise<Harness> {
  const kube = await startKubeApiServer(options);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-kube-'));
  t.teardown(async () => {
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfigFile(dir));
  return { kube, kc, core: kc.makeApiClient(CoreV1Api), dir };
}

/** Polls until `check` returns true; bounded in time, so a missing event fails the test instead of hanging it. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function pod(name: string, labels: Record<string, string> = {}, namespace = 'demo'): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
}

interface SeenEvent {
  type: string;
  object: any;
}

/** A raw watch through client-node's Watch; stopped when the test ends. */
async function watch(t: Test, h: Harness, watchPath: string, query: Record<string, string | number | boolean | undefined>) {
  const events: SeenEvent[] = [];
  let ended = false;
  const controller = await new Watch(h.kc).watch(watchPath, query, (type, object) => events.push({ type, object }), () => (ended = true));
  t.teardown(() => controller.abort());
  return { events, ended: () => ended };
}

t.test('create, get and list through CoreV1Api, with server-filled metadata', async (t) => {
  const h = await harness(t);
  await h.core.createNamespace({ body: { metadata: { name: 'demo' } } });
  const created = await h.core.createNamespacedPod({ namespace: 'demo', body: pod('web-0', { app: 'web' }) });
  t.match(created.metadata, { name: 'web-0', namespace: 'demo', generation: 1, uid: /^[0-9a-f-]{36}$/, creationTimestamp: Date });
  const got = await h.core.readNamespacedPod({ namespace: 'demo', name: 'web-0' });
  t.equal(got.metadata?.resourceVersion, created.metadata?.resourceVersion);

  await h.core.createNamespacedPod({ namespace: 'default', body: pod('other', {}, 'default') });
  const all = await h.core.listPodForAllNamespaces();
  t.equal(all.kind, 'PodList');
  t.same(all.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`), ['default/other', 'demo/web-0']);
  t.ok(Number(all.metadata?.resourceVersion) > Number(created.metadata?.resourceVersion), 'one global, increasing resourceVersion');
  const inDemo = await h.core.listNamespacedPod({ namespace: 'demo' });
  t.same(inDemo.items.map((p) => p.metadata?.name), ['web-0']);

  const discovery = h.kc.makeApiClient(DiscoveryV1Api);
  const slice = await discovery.createNamespacedEndpointSlice({
    namespace: 'demo',
    body: { addressType: 'IPv4', metadata: { name: 'web-x1', labels: { 'kubernetes.io/service-name': 'web' } }, endpoints: [{ addresses: ['10.0.0.7'] }] },
  });
  t.equal(slice.apiVersion, 'discovery.k8s.io/v1', 'apiVersion and kind are filled from the path');
  const svc = await h.core.createNamespacedService({ namespace: 'demo', body: { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } } });
  t.match(svc.spec, { type: 'ClusterIP', clusterIP: /^10\.96\./ }, 'a Service gets a cluster IP');
});

t.test('errors are Status objects with the real codes and reasons', async (t) => {
  const h = await harness(t);
  const missing = await apiError(h.core.readNamespacedPod({ namespace: 'default', name: 'nope' }));
  t.match(missing, { code: 404, body: { kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found', details: { name: 'nope', kind: 'pods' } } });
  const noNamespace = await apiError(h.core.createNamespacedPod({ namespace: 'ghost', body: pod('a', {}, 'ghost') }));
  t.match(noNamespace, { code: 404, body: { message: 'namespaces "ghost" not found' } });

  const first = await h.core.createNamespacedPod({ namespace: 'default', body: pod('a', {}, 'default') });
  t.match(await apiError(h.core.createNamespacedPod({ namespace: 'default', body: pod('a', {}, 'default') })), { code: 409, body: { reason: 'AlreadyExists' } });
  await h.core.replaceNamespacedPod({ namespace: 'default', name: 'a', body: { ...first, metadata: { ...first.metadata, labels: { v: '2' } } } });
  const stale = await apiError(h.core.replaceNamespacedPod({ namespace: 'default', name: 'a', body: { ...first, metadata: { ...first.metadata, labels: { v: '3' } } } }));
  t.match(stale, { code: 409, body: { reason: 'Conflict', message: /the object has been modified/ } });

  const broken = { ...pod('Bad_Name', {}, 'default'), spec: { containers: [{ image: 'nginx', ports: [{ containerPort: 'http' }] }] } };
  const invalid = await apiError(h.core.createNamespacedPod({ namespace: 'default', body: broken as unknown as V1Pod }));
  t.equal(invalid.code, 422);
  t.equal(invalid.body.reason, 'Invalid');
  t.same(invalid.body.details.causes.map((c: { field: string }) => c.field).sort(), [
    'metadata.name',
    'spec.containers[0].name',
    'spec.containers[0].ports[0].containerPort',
  ], 'every problem is listed');
  t.throws(() => h.kube.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { n: 1 } }), /ConfigMap "c" is invalid: data\.n/, 'the test-side store validates too');
});

t.test('patch: JSON patch (client-node default), merge and strategic merge; generation follows the spec', async (t) => {
  const h = await harness(t);
  h.kube.store.create(pod('p', { app: 'web' }, 'default'));
  const labelled = await h.core.patchNamespacedPod({ namespace: 'default', name: 'p', body: [{ op: 'add', path: '/metadata/labels/tier', value: 'front' }] });
  t.same(labelled.metadata?.labels, { app: 'web', tier: 'front' });
  t.equal(labelled.metadata?.generation, 1, 'a metadata change keeps the generation');
  const merged = await h.core.patchNamespacedPod(
    { namespace: 'default', name: 'p', body: { metadata: { labels: { app: null } }, spec: { activeDeadlineSeconds: 30 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  t.same(merged.metadata?.labels, { tier: 'front' });
  t.equal(merged.metadata?.generation, 2);
  const strategic = await h.core.patchNamespacedPod(
    { namespace: 'default', name: 'p', body: { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  t.match(strategic.spec?.containers, [{ name: 'app', image: 'nginx:2' }]);
  const unchanged = await h.core.patchNamespacedPod({ namespace: 'default', name: 'p', body: [] });
  t.equal(unchanged.metadata?.resourceVersion, strategic.metadata?.resourceVersion, 'a write that changes nothing is not a write');
});

t.test('label and field selectors on lists', async (t) => {
  const h = await harness(t);
  h.kube.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
  h.kube.store.create(pod('a', { app: 'web', tier: 'front' }));
  h.kube.store.create(pod('b', { app: 'db' }));
  h.kube.store.create({ ...pod('c', {}), spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'x' }] }, status: { podIP: '10.1.0.3' } });
  const names = async (labelSelector?: string, fieldSelector?: string) =>
    (await h.core.listPodForAllNamespaces({ labelSelector, fieldSelector })).items.map((p) => p.metadata?.name);
  t.same(await names('app=web'), ['a']);
  t.same(await names('app==web'), ['a']);
  t.same(await names('app!=web'), ['b', 'c'], '!= also matches objects without the label');
  t.same(await names('app in (web, db)'), ['a', 'b']);
  t.same(await names('app notin (web),tier'), []);
  t.same(await names('app,!tier'), ['b']);
  t.same(await names(undefined, 'metadata.name=b'), ['b']);
  t.same(await names(undefined, 'spec.nodeName=n1,status.podIP=10.1.0.3'), ['c']);
  t.same(await names(undefined, 'metadata.namespace!=demo'), []);
  t.match(await apiError(names(undefined, 'spec.hostname=x')), { code: 400, body: { message: /field label not supported: spec.hostname/ } });
});

t.test('watch: events after a resourceVersion, in order, seen through selectors', async (t) => {
  const h = await harness(t);
  h.kube.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
  const from = (await h.core.listNamespacedPod({ namespace: 'demo' })).metadata?.resourceVersion;
  h.kube.store.create(pod('early', { app: 'web' })); // before the watch opens: replayed from history
  const all = await watch(t, h, '/api/v1/namespaces/demo/pods', { resourceVersion: from });
  const web = await watch(t, h, '/api/v1/pods', { resourceVersion: from, labelSelector: 'app=web' });
  h.kube.store.update({ ...h.kube.store.get('Pod', 'early', 'demo'), metadata: { name: 'early', namespace: 'demo', labels: { app: 'api' } } });
  h.kube.store.create(pod('late', { app: 'web' }));
  h.kube.store.delete('Namespace', 'demo', ''); // takes its pods with it
  await waitFor('five events on the unfiltered watch', () => all.events.length >= 5);
  t.same(all.events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED early', 'MODIFIED early', 'ADDED late', 'DELETED early', 'DELETED late']);
  const versions = all.events.map((e) => Number(e.object.metadata.resourceVersion));
  t.same(versions, [...versions].sort((a, b) => a - b), 'resourceVersions increase');
  t.equal(all.events[0].object.kind, 'Pod', 'watch objects carry their kind');
  await waitFor('the selector watch to see late go', () => web.events.length >= 4);
  t.same(web.events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED early', 'DELETED early', 'ADDED late', 'DELETED late'], 'leaving the selector is a DELETED');

  const fresh = await watch(t, h, '/api/v1/namespaces', {});
  await waitFor('the current namespaces', () => fresh.events.length >= 3);
  t.ok(fresh.events.every((e) => e.type === 'ADDED'), 'a watch without resourceVersion starts with the current state');
});

t.test('watch: a resourceVersion older than the history is 410 Expired; bookmarks; timeoutSeconds', async (t) => {
  const h = await harness(t, { historyLimit: 2, bookmarkIntervalMs: 50 });
  const from = h.kube.store.revision;
  for (let i = 0; i < 4; i++) h.kube.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` } });
  const stale = await watch(t, h, '/api/v1/configmaps', { resourceVersion: from });
  await waitFor('the stale watch to end', stale.ended);
  t.match(stale.events, [{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: /too old resource version/ } }]);

  const started = Date.now();
  const live = await watch(t, h, '/api/v1/configmaps', { resourceVersion: h.kube.store.revision, allowWatchBookmarks: true, timeoutSeconds: 1 });
  await waitFor('a bookmark', () => live.events.some((e) => e.type === 'BOOKMARK'));
  const bookmark = live.events.find((e) => e.type === 'BOOKMARK');
  t.match(bookmark?.object, { kind: 'ConfigMap', metadata: { resourceVersion: String(h.kube.store.revision) } });
  await waitFor('the server to end the watch after timeoutSeconds', live.ended, 3000);
  t.ok(Date.now() - started >= 900, 'not before timeoutSeconds');
});

t.test('informer: follows changes, re-watches after closed watches, relists after 410 across a restart', async (t) => {
  const h = await harness(t);
  h.kube.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
  h.kube.store.create(pod('a'));
  const informer = makeInformer(h.kc, '/api/v1/pods', () => h.core.listPodForAllNamespaces());
  const seen: string[] = [];
  informer.on('add', (p) => seen.push(`add ${p.metadata?.name}`));
  informer.on('update', (p) => seen.push(`update ${p.metadata?.name}`));
  informer.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`));
  // client-node stops on errors (e.g. connection refused while the server is down): restart, as a controller does.
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  informer.on('error', () => {
    if (!stopped) retry = setTimeout(() => void informer.start(), 50);
  });
  t.teardown(async () => {
    stopped = true;
    clearTimeout(retry);
    await informer.stop();
  });
  const lists = () => h.kube.requests.filter((r) => r.path === '/api/v1/pods' && !r.query.has('watch')).length;
  await informer.start();
  await waitFor('the initial add', () => seen.includes('add a'));
  await waitFor('the watch', () => h.kube.openWatches === 1);

  h.kube.closeWatches();
  await waitFor('the informer to watch again', () => h.kube.openWatches === 1);
  h.kube.store.create(pod('b'));
  await waitFor('add b', () => seen.includes('add b'));
  t.equal(lists(), 1, 'a closed watch resumes from its resourceVersion, without a new list');

  await h.kube.stop();
  h.kube.store.delete('Pod', 'a', 'demo');
  h.kube.store.create(pod('c'));
  h.kube.forgetHistory(); // the restarted server's watch cache starts empty: the informer's version is too old
  await h.kube.start();
  await waitFor('the relist to report the missed changes', () => seen.includes('delete a') && seen.includes('add c'));
  t.equal(lists(), 2, 'exactly one relist, caused by the 410');
  t.same(informer.list().map((p) => p.metadata?.name).sort(), ['b', 'c']);
});

t.test('TokenReview: registered tokens name their service account; tests can replace the reviewer', async (t) => {
  const h = await harness(t);
  const auth = h.kc.makeApiClient(AuthenticationV1Api);
  const review = async (token: string, audiences?: string[]) =>
    (await auth.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } } })).status;
  const token = h.kube.tokens.issue({ namespace: 'demo', serviceAccount: 'web' });
  t.match(await review(token, [TOKEN_AUDIENCE]), {
    authenticated: true,
    user: { username: 'system:serviceaccount:demo:web', groups: ['system:serviceaccounts', 'system:serviceaccounts:demo', 'system:authenticated'] },
    audiences: [TOKEN_AUDIENCE],
  });
  t.match(await review(token, ['someone-else']), { authenticated: false, error: /invalid for the target audiences/ });
  t.match(await review(token), { authenticated: false }, 'without audiences the API server checks its own audience');
  t.match(await review('forged', [TOKEN_AUDIENCE]), { authenticated: false });

  h.kube.setTokenReviewer(({ token: sent }) => ({ authenticated: sent === 'magic', user: { username: 'system:serviceaccount:x:y' } }));
  t.match(await review('magic'), { authenticated: true, user: { username: 'system:serviceaccount:x:y' } });
  h.kube.setTokenReviewer();
  t.match(await review('magic'), { authenticated: false }, 'the default reviewer is back');
});

t.test('kubectl: discovery, get -A -o json, apply (create then update), delete', async (t) => {
  const h = await harness(t);
  h.kube.store.create(pod('p1', { app: 'web' }, 'default'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: h.dir, KUBECONFIG: path.join(h.dir, 'kubeconfig') };
  const kubectl = async (...args: string[]) => (await run(KUBECTL, args, { env, timeout: 20_000 })).stdout;

  const pods = JSON.parse(await kubectl('get', 'pods', '-A', '-o', 'json'));
  t.same(pods.items.map((p: V1Pod) => p.metadata?.name), ['p1']);

  const manifest = path.join(h.dir, 'web.yaml');
  const write = (port: number) =>
    fs.writeFileSync(manifest, [
      'apiVersion: v1', 'kind: Service', 'metadata: {name: web, namespace: default}', `spec: {selector: {app: web}, ports: [{name: http, port: ${port}}]}`,
      '---',
      'apiVersion: discovery.k8s.io/v1', 'kind: EndpointSlice', 'metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}',
      'addressType: IPv4', 'endpoints: [{addresses: [10.0.0.1]}]', '',
    ].join('\n'));
  write(80);
  t.match(await kubectl('apply', '-f', manifest), /service\/web created\nendpointslice.discovery.k8s.io\/web-1 created/);
  write(8080);
  t.match(await kubectl('apply', '-f', manifest), /service\/web configured\nendpointslice.discovery.k8s.io\/web-1 unchanged/);
  const svc = h.kube.store.get('Service', 'web');
  t.match(svc, { metadata: { generation: 2 }, spec: { ports: [{ name: 'http', port: 8080 }] } });
  t.match(await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'name'), 'endpointslice.discovery.k8s.io/web-1');

  t.match(await kubectl('delete', '-f', manifest), /service "web" deleted/);
  t.same(h.kube.store.list('Service', 'default'), []);
  const failed = await run(KUBECTL, ['get', 'pod', 'nope'], { env, timeout: 20_000 }).catch((err: { stderr: string }) => err);
  t.match(failed, { stderr: /pods "nope" not found/ });
});
