// weft-controller injector as a real process, called by the test Kubernetes API server the way kube-apiserver calls
// a mutating webhook (its Service through an EndpointSlice, HTTPS verified against the caBundle of the
// MutatingWebhookConfiguration that injector/webhook-configuration.ts builds), with pods sent by the real kubectl.
// Also bad requests sent straight to the webhook, a mesh config that is missing, a certificate rotated on disk,
// and a webhook that is slow or down under both failure policies.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import YAML from 'yaml';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { createTrustAnchor } from '../../certs';
import { formatHostPort, HostPort } from '../../common/address';
import { INJECTOR_METRIC, INJECTOR_TLS_FILES, MESH_CONFIG_KEY, MESH_CONFIG_MAP, PROXY_CONTAINER } from '../../common/contract';
import { injectorServerName, injectorServingCertificate } from '../../injector/serving-certificate';
import { FailurePolicy, injectorWebhookConfiguration } from '../../injector/webhook-configuration';
import { ControllerProcess, startController } from '../fixtures/controller-process';
import { closedPort, waitFor } from '../fixtures/http-client';
import { podCreateReview } from '../fixtures/admission-review';
import { startKubeApiServer, type KubeApiServer } from '../fixtures/kube-api-server';
import { metricValue } from '../fixtures/proxy-process';

const KUBECTL = '/usr/bin/kubectl';
const ANCHOR = createTrustAnchor();
const MESH_CONFIG_MAP_OBJECT = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: MESH_CONFIG_MAP, namespace: 'weft' },
  data: { [MESH_CONFIG_KEY]: YAML.stringify({ trustAnchorsPem: ANCHOR.certPem, proxy: { version: 'v9.9.9-test' } }) },
};

interface Harness {
  kube: KubeApiServer;
  controller: ControllerProcess;
  injector: HostPort;
  dir: string;
  tlsDir: string;
  /** The CA the injector's certificate chains to (what the webhook configuration's caBundle holds). */
  caPem: string;
}

interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real kubectl against the test API server, with a config of its own; never rejects. */
function kubectl(h: Harness, args: string[]): Promise<KubectlRun> {
  const env = { PATH: process.env.PATH ?? '', HOME: h.dir, KUBECONFIG: path.join(h.dir, 'kubeconfig') };
  return new Promise((resolve) => {
    execFile(KUBECTL, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function applyManifest(h: Harness, object: object, verb: 'apply' | 'create' = 'apply'): Promise<KubectlRun> {
  const file = path.join(h.dir, `manifest-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, YAML.stringify(object));
  return kubectl(h, [verb, '-f', file]);
}

function pod(name: string, namespace: string, extra: { annotations?: Record<string, string>; ownerReferences?: object[]; generateName?: string } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(extra.generateName ? { generateName: extra.generateName } : { name }),
      namespace,
      labels: { app: name },
      annotations: extra.annotations,
      ownerReferences: extra.ownerReferences,
    },
    spec: { serviceAccountName: 'web', containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] },
  };
}

function namespace(h: Harness, name: string, annotations: Record<string, string> = { 'weft.io/inject': 'enabled' }): void {
  h.kube.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } });
}

const storedPod = (h: Harness, name: string, ns: string) => h.kube.store.get('Pod', name, ns) as unknown as IPod;
const hasProxy = (p: IPod) => [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].some((c) => c.name === PROXY_CONTAINER);

function webhookConfiguration(h: Harness, overrides: { failurePolicy?: FailurePolicy; timeoutSeconds?: number; caBundlePem?: string } = {}): void {
  h.kube.store.apply(injectorWebhookConfiguration({ caBundlePem: overrides.caBundlePem ?? h.caPem, ...overrides }));
}

/** Points the injector Service's EndpointSlice at `port` on loopback. */
function injectorEndpoint(h: Harness, port: number): void {
  h.kube.store.apply({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'weft-proxy-injector-1', namespace: 'weft', labels: { 'kubernetes.io/service-name': 'weft-proxy-injector' } },
    addressType: 'IPv4',
    ports: [{ name: 'https', port, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  });
}

function writeKeyPair(dir: string, pair: { certPem: string; keyPem: string }): void {
  // Written aside, then renamed over: the injector never reads a half-written file.
  for (const [name, content] of [[INJECTOR_TLS_FILES.cert, pair.certPem], [INJECTOR_TLS_FILES.key, pair.keyPem]] as const) {
    fs.writeFileSync(path.join(dir, `.${name}.tmp`), content);
    fs.renameSync(path.join(dir, `.${name}.tmp`), path.join(dir, name));
  }
}

async function startHarness(t: Test): Promise<Harness> {
  const kube = await startKubeApiServer({ namespaces: ['default', 'kube-system', 'kube-public', 'weft'] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-injector-'));
  t.teardown(async () => {
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const kubeconfig = kube.kubeconfigFile(dir);
  const tlsDir = path.join(dir, 'tls');
  fs.mkdirSync(tlsDir);
  const certificate = injectorServingCertificate();
  writeKeyPair(tlsDir, certificate);
  kube.store.apply(MESH_CONFIG_MAP_OBJECT);
  const controller = await startController(t, ['--kubeconfig', kubeconfig, '--injector-addr', '127.0.0.1:0', '--injector-tls-dir', tlsDir], 'injector');
  const h: Harness = { kube, controller, injector: controller.injector!, dir, tlsDir, caPem: certificate.caPem };
  kube.store.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'weft-proxy-injector', namespace: 'weft' },
    spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
  });
  injectorEndpoint(h, h.injector.port);
  webhookConfiguration(h);
  return h;
}

interface Answer {
  status: number;
  text: string;
  json?: any;
}

/** POSTs straight to the webhook over HTTPS, verifying it as the API server does. */
function postToWebhook(
  h: Harness,
  body: string | Buffer,
  options: { method?: string; caPem?: string; contentType?: string; chunked?: boolean; agent?: https.Agent } = {},
): Promise<Answer> {
  const headers: Record<string, string | number> = { 'content-type': options.contentType ?? 'application/json' };
  if (!options.chunked) headers['content-length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const request = https.request({
      host: h.injector.host,
      port: h.injector.port,
      method: options.method ?? 'POST',
      path: '/inject?timeout=10s',
      servername: injectorServerName(),
      ca: options.caPem ?? h.caPem,
      agent: options.agent ?? false,
      headers,
      timeout: 20_000,
    });
    request.once('timeout', () => request.destroy(new Error('the webhook did not answer within 20 s')));
    request.once('error', reject);
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode!, text, json });
      });
    });
    if (!options.chunked) return void request.end(body);
    const bytes = Buffer.from(body);
    for (let offset = 0; offset < bytes.length; offset += 64 * 1024) request.write(bytes.subarray(offset, offset + 64 * 1024));
    request.end();
  });
}

const review = (object: object, overrides: Record<string, unknown> = {}) => JSON.stringify(podCreateReview(object, { namespace: 'direct', ...overrides }));

const metrics = async (h: Harness) => (await fetch(`http://${formatHostPort(h.controller.admin)}/metrics`)).text();
const responses = async (h: Harness, labels: Record<string, string>) => metricValue(await metrics(h), INJECTOR_METRIC.admissionResponsesTotal, labels);

t.test('the injector behind the test API server', async (t) => {
  const h = await startHarness(t);
  namespace(h, 'direct');

  t.test('a pod kubectl applies into an annotated namespace is stored with the proxy', async (t) => {
    namespace(h, 'meshed');
    const run = await applyManifest(h, pod('web', 'meshed'));
    t.equal(run.code, 0, run.stderr);
    t.match(run.stdout, 'pod/web created');
    const stored = storedPod(h, 'web', 'meshed');
    // The test API server says v1.32: the proxy is a native sidecar, after weft-init, before the app.
    t.same(stored.spec!.initContainers!.map((c) => c.name), ['weft-init', PROXY_CONTAINER]);
    t.same(stored.spec!.containers.map((c) => c.name), ['app'], "the app's own container is untouched");
    const proxy = stored.spec!.initContainers![1];
    t.equal(proxy.restartPolicy, 'Always');
    t.equal(proxy.image, 'ghcr.io/weft/proxy:v9.9.9-test', 'image and version from the ConfigMap weft-config');
    t.match(proxy.startupProbe, { httpGet: { path: '/ready', port: 'weft-admin' } });
    const env = Object.fromEntries((proxy.env ?? []).map((e) => [e.name, e.value]));
    t.equal(env.WEFT_PROXY_IDENTITY_LOCAL_NAME, '$(_pod_sa).$(_pod_ns).serviceaccount.identity.weft.cluster.local');
    t.equal(env.WEFT_PROXY_IDENTITY_TRUST_ANCHORS, ANCHOR.certPem, 'the trust anchors from the mesh config, inline');
    t.equal(env.WEFT_PROXY_INBOUND_PORTS, '8080');
    t.match(proxy.securityContext, { runAsUser: 2102, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    t.same(stored.spec!.initContainers![0].securityContext?.capabilities?.add, ['NET_ADMIN', 'NET_RAW']);
    t.match(stored.spec!.volumes, [{ name: 'weft-identity-end-entity', emptyDir: { medium: 'Memory' } }, { name: 'weft-identity-token' }]);
    t.match(stored.metadata!.labels, { app: 'web', 'weft.io/control-plane-ns': 'weft', 'weft.io/workload-ns': 'meshed' });
    t.equal(stored.metadata!.annotations!['weft.io/proxy-version'], 'v9.9.9-test');
    t.match(h.kube.webhookCalls.at(-1), { webhook: 'weft-proxy-injector.weft.io', kind: 'Pod', namespace: 'meshed', outcome: 'patched' });
    t.ok((await responses(h, { skip: 'false' })) >= 1, 'counted as injected');
  });

  t.test("a Deployment's pod, created by its ReplicaSet with generateName, is labelled with the Deployment", async (t) => {
    namespace(h, 'apps');
    const deployment = h.kube.store.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'apps' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } },
    });
    const replicaSet = h.kube.store.apply({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-7d9f',
        namespace: 'apps',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: deployment.metadata.uid, controller: true }],
      },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } },
    });
    const owned = pod('web', 'apps', {
      generateName: 'web-7d9f-',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: replicaSet.metadata.uid, controller: true, blockOwnerDeletion: true }],
    });
    const run = await applyManifest(h, owned, 'create');
    t.equal(run.code, 0, run.stderr);
    const [name] = /web-7d9f-\w+/.exec(run.stdout) ?? [];
    t.ok(name, `kubectl named the pod: ${run.stdout}`);
    const stored = storedPod(h, name!, 'apps');
    t.ok(hasProxy(stored));
    t.equal(stored.metadata!.labels!['weft.io/proxy-deployment'], 'web', 'the Deployment, found through the ReplicaSet');
    t.notOk('weft.io/proxy-replicaset' in stored.metadata!.labels!);
  });

  t.test("a CronJob's pod (owned by its Job) is labelled with the CronJob; a bare Job's with the Job", async (t) => {
    namespace(h, 'batch');
    const jobSpec = { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'task', image: 'busybox' }] } } };
    const cronJob = h.kube.store.apply({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'batch' },
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: jobSpec } },
    });
    const fromCron = h.kube.store.apply({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'nightly-28000', namespace: 'batch', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: cronJob.metadata.uid, controller: true }] },
      spec: jobSpec,
    });
    const bare = h.kube.store.apply({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace: 'batch' }, spec: jobSpec });
    const jobRef = (job: typeof bare) => [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true }];
    t.equal((await applyManifest(h, pod('nightly-28000-x1', 'batch', { ownerReferences: jobRef(fromCron) }))).code, 0);
    t.equal((await applyManifest(h, pod('once-x1', 'batch', { ownerReferences: jobRef(bare) }))).code, 0);
    t.equal(storedPod(h, 'nightly-28000-x1', 'batch').metadata!.labels!['weft.io/proxy-cronjob'], 'nightly');
    t.equal(storedPod(h, 'once-x1', 'batch').metadata!.labels!['weft.io/proxy-job'], 'once');
  });

  t.test('a pod annotated disabled is stored as sent, after the webhook was asked', async (t) => {
    const before = await responses(h, { skip: 'true', skip_reason: 'injection_disabled' });
    const run = await applyManifest(h, pod('opted-out', 'meshed', { annotations: { 'weft.io/inject': 'disabled' } }));
    t.equal(run.code, 0, run.stderr);
    t.notOk(hasProxy(storedPod(h, 'opted-out', 'meshed')));
    t.match(h.kube.webhookCalls.at(-1), { namespace: 'meshed', outcome: 'allowed' });
    t.equal(await responses(h, { skip: 'true', skip_reason: 'injection_disabled' }), before + 1);
  });

  t.test('pods in kube-system and in the control plane namespace are never sent to the webhook', async (t) => {
    const calls = h.kube.webhookCalls.length;
    for (const ns of ['kube-system', 'weft']) {
      const run = await applyManifest(h, pod('system', ns, { annotations: { 'weft.io/inject': 'enabled' } }));
      t.equal(run.code, 0, run.stderr);
      t.notOk(hasProxy(storedPod(h, 'system', ns)), `${ns}: no proxy although annotated`);
    }
    t.equal(h.kube.webhookCalls.length, calls, 'the namespaceSelector (kubernetes.io/metadata.name NotIn) kept them away');
  });

  t.test('bad requests get a clear answer and the webhook keeps serving', async (t) => {
    const invalidBefore = await responses(h, { skip_reason: 'invalid_review' });
    const notJson = await postToWebhook(h, '{"apiVersion": "admission.k8s.io/v1", ');
    t.equal(notJson.status, 400);
    t.match(notJson.text, /the body is not JSON .*send an AdmissionReview admission\.k8s\.io\/v1/);

    // As the API server does, over a kept-alive connection: the webhook answers at once and drops the rest.
    const agent = new https.Agent({ keepAlive: true });
    t.teardown(() => agent.destroy());
    const declared = await postToWebhook(h, Buffer.alloc(4 * 1024 * 1024, 0x20), { agent });
    t.equal(declared.status, 413, 'by its Content-Length');
    t.match(declared.text, 'larger than 3145728 bytes');
    const streamed = await postToWebhook(h, Buffer.alloc(4 * 1024 * 1024, 0x20), { agent, chunked: true });
    t.equal(streamed.status, 413, 'chunked, by counting');

    const oldVersion = await postToWebhook(h, JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }));
    t.equal(oldVersion.status, 400);
    t.match(oldVersion.text, 'expected apiVersion admission.k8s.io/v1');

    const noUid = await postToWebhook(h, JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }));
    t.equal(noUid.status, 400);
    t.match(noUid.text, 'request.uid is missing');

    const wrongType = await postToWebhook(h, review({}), { contentType: 'text/plain' });
    t.equal(wrongType.status, 415);

    const get = await postToWebhook(h, '', { method: 'GET' });
    t.equal(get.status, 405);
    t.equal(await responses(h, { skip_reason: 'invalid_review' }), invalidBefore + 6, 'each counted as an invalid review');

    const deployment = await postToWebhook(
      h,
      review({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, {
        kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
        resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      }),
    );
    t.equal(deployment.status, 200);
    t.match(deployment.json, { response: { uid: 'c0ffee00-0000-4000-8000-000000000001', allowed: true } }, 'the uid echoed');
    t.notOk(deployment.json.response.patch, 'nothing to patch');
    t.match(deployment.json.response.warnings, [/mutates pod creations only, and was sent a CREATE of apps\/v1 deployments/]);

    const podWithoutSpec = await postToWebhook(h, review({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }));
    t.equal(podWithoutSpec.status, 200);
    t.match(podWithoutSpec.json.response, { allowed: true, warnings: [/could not mesh this pod.*no spec.containers/] });

    const good = await postToWebhook(h, review(pod('direct-1', 'direct')));
    t.equal(good.status, 200, 'still alive and still injecting');
    t.equal(good.json.response.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(good.json.response.patch, 'base64').toString('utf8')) as { path: string }[];
    t.ok(patch.some((op) => op.path === '/spec/initContainers'), 'the patch adds the init containers');
    t.equal(h.controller.child.exitCode, null, 'the process is still running');
  });

  t.test('without the ConfigMap weft-config the pod is admitted unmeshed, with a warning, and counted', async (t) => {
    const before = await responses(h, { skip: 'true', skip_reason: 'internal_error' });
    h.kube.store.delete('ConfigMap', MESH_CONFIG_MAP, 'weft');
    await waitFor(
      'the injector to see the ConfigMap gone',
      async () => ((await postToWebhook(h, review(pod('probe', 'direct')))).json?.response?.warnings ?? []).length > 0,
      20_000,
    );
    const run = await applyManifest(h, pod('unconfigured', 'meshed'));
    t.equal(run.code, 0, 'the pod is not refused');
    t.match(run.stderr, /Warning: weft-proxy-injector could not mesh this pod, so it starts without a proxy: there is no ConfigMap weft\/weft-config/);
    t.notOk(hasProxy(storedPod(h, 'unconfigured', 'meshed')));
    t.ok((await responses(h, { skip: 'true', skip_reason: 'internal_error' })) >= before + 2, 'the probe and the pod, counted as internal errors');

    h.kube.store.apply(MESH_CONFIG_MAP_OBJECT);
    await waitFor('the injector to see the ConfigMap again', async () => (await postToWebhook(h, review(pod('probe', 'direct')))).json?.response?.patch !== undefined, 20_000);
    t.equal((await applyManifest(h, pod('configured-again', 'meshed'))).code, 0);
    t.ok(hasProxy(storedPod(h, 'configured-again', 'meshed')));
  });

  t.test('a serving certificate replaced on disk is used for new connections', async (t) => {
    const next = injectorServingCertificate();
    writeKeyPair(h.tlsDir, next);
    await waitFor(
      'the injector to serve the new certificate',
      async () => (await postToWebhook(h, review(pod('probe', 'direct')), { caPem: next.caPem }).catch(() => undefined))?.status === 200,
      20_000,
    );
    h.caPem = next.caPem;
    webhookConfiguration(h);
    t.equal((await applyManifest(h, pod('after-rotation', 'meshed'))).code, 0);
    t.ok(hasProxy(storedPod(h, 'after-rotation', 'meshed')), 'the API server trusts it through the new caBundle');
  });

  t.test('a caBundle that does not match: Ignore admits unmeshed, Fail refuses', async (t) => {
    webhookConfiguration(h, { caBundlePem: injectorServingCertificate().caPem, failurePolicy: 'Ignore' });
    t.equal((await applyManifest(h, pod('wrong-ca-ignore', 'meshed'))).code, 0);
    t.notOk(hasProxy(storedPod(h, 'wrong-ca-ignore', 'meshed')));
    t.match(h.kube.webhookCalls.at(-1), { outcome: 'failed-open', error: /certificate/ });
    webhookConfiguration(h, { caBundlePem: injectorServingCertificate().caPem, failurePolicy: 'Fail' });
    const refused = await applyManifest(h, pod('wrong-ca-fail', 'meshed'));
    t.equal(refused.code, 1);
    t.match(refused.stderr, /Internal error occurred: failed calling webhook "weft-proxy-injector.weft.io": failed to call webhook: Post "https:\/\/weft-proxy-injector.weft.svc:443\/inject\?timeout=10s": .*certificate/);
    webhookConfiguration(h);
  });

  t.test('a webhook slower than timeoutSeconds: Ignore admits unmeshed, Fail refuses', async (t) => {
    // Accepts the TLS handshake and the request, never answers.
    const certificate = injectorServingCertificate();
    const stalled = https.createServer({ cert: certificate.certPem, key: certificate.keyPem }, () => {});
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    t.teardown(() => {
      stalled.closeAllConnections();
      stalled.close();
    });
    injectorEndpoint(h, (stalled.address() as { port: number }).port);
    for (const [failurePolicy, expected] of [['Ignore', 0], ['Fail', 1]] as const) {
      webhookConfiguration(h, { caBundlePem: certificate.caPem, failurePolicy, timeoutSeconds: 1 });
      const started = Date.now();
      const run = await applyManifest(h, pod(`slow-${failurePolicy.toLowerCase()}`, 'meshed'));
      t.equal(run.code, expected, `${failurePolicy}: ${run.stderr}`);
      t.ok(Date.now() - started < 15_000, 'kubectl had its answer after about timeoutSeconds');
      if (failurePolicy === 'Ignore') t.notOk(hasProxy(storedPod(h, 'slow-ignore', 'meshed')));
      else t.match(run.stderr, /failed calling webhook "weft-proxy-injector.weft.io": .*\?timeout=1s": context deadline exceeded/);
      t.match(h.kube.webhookCalls.at(-1), { outcome: failurePolicy === 'Ignore' ? 'failed-open' : 'failed-closed', error: /context deadline exceeded/ });
    }
    t.throws(() => h.kube.store.get('Pod', 'slow-fail', 'meshed'), 'the refused pod was not stored');
    injectorEndpoint(h, h.injector.port);
    webhookConfiguration(h);
  });

  t.test('the webhook down: Ignore (the default) admits unmeshed, Fail refuses with the reason', async (t) => {
    t.equal(await h.controller.stop('SIGTERM'), 0, 'the injector stops cleanly');
    webhookConfiguration(h);
    const admitted = await applyManifest(h, pod('while-down', 'meshed'));
    t.equal(admitted.code, 0, admitted.stderr);
    t.notOk(hasProxy(storedPod(h, 'while-down', 'meshed')), 'created, without a proxy');
    t.match(h.kube.webhookCalls.at(-1), { outcome: 'failed-open', error: /ECONNREFUSED|connection refused/ });

    webhookConfiguration(h, { failurePolicy: 'Fail' });
    const refused = await applyManifest(h, pod('while-down-fail', 'meshed'));
    t.equal(refused.code, 1);
    t.match(refused.stderr, /Error from server \(InternalError\).*failed calling webhook "weft-proxy-injector.weft.io".*ECONNREFUSED/);
    t.throws(() => h.kube.store.get('Pod', 'while-down-fail', 'meshed'));

    // Nothing listens on a port the OS just took back: the same refusal for an endpoint that is gone.
    injectorEndpoint(h, await closedPort());
    t.equal((await applyManifest(h, pod('gone-fail', 'meshed'))).code, 1);
  });
});
