// `weft check` against the test API server: green on a healthy control plane, and each broken state turns its
// own check red (and only that one). The checks run in-process through the command's check(); two real
// `weft check` processes show the exit codes and the output a person sees.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { createIssuer, createTrustAnchor, loadAuthority, serviceServingCertificate } from '../../certs';
import { CHECK_CATEGORIES, CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICES, INJECTOR_WEBHOOK_CONFIGURATION, TAP_API_SERVICE, TAP_TLS_SECRET } from '../../common/contract';
import { injectorServingCertificate } from '../../injector/serving-certificate';
import { injectorWebhookConfiguration } from '../../injector/webhook-configuration';
import { check } from '../../cli/commands/check';
import { buildProgram } from '../../cli/main';
import type { CheckStage } from '../../cli/check/categories';
import type { CheckReport } from '../../cli/check/types';
import { version as WEFT_VERSION } from '../../package.json';
import { startKubeApiServer, type KubeApiServer, type KubeApiServerOptions } from '../fixtures/kube-api-server';
import { startTestIdentityService } from '../fixtures/identity';
import { startProxy } from '../fixtures/proxy-process';
import { runBin } from '../fixtures/run-bin';
import { kubectl } from '../fixtures/kubectl';
import { apiServiceStatus, installControlPlane, issuerSecret, meshedPod, podsFor, readyStatus, type ControlPlanePki } from '../fixtures/weft-control-plane';

const DAY_MS = 86_400_000;
const b64 = (text: string) => Buffer.from(text).toString('base64');
const CERT_CHAINS = "data plane proxies' certificates chain to the current trust anchors";
const NS = CONTROL_PLANE_NAMESPACE;

interface Harness {
  kube: KubeApiServer;
  dir: string;
  kubeconfig: string;
  pki: ControlPlanePki;
  run(stage?: CheckStage, extra?: { waitMs?: number; token?: string; dataPlaneNamespace?: string }): Promise<{ report: CheckReport; text: string }>;
}

async function harness(t: Test, options: KubeApiServerOptions & { install?: boolean } = {}): Promise<Harness> {
  // No availability probing: the fixture sets the tap APIService's condition, as it sets pods ready.
  const kube = await startKubeApiServer({ namespaces: ['default', 'kube-system', 'demo'], apiServiceProbeMs: false, ...options });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-check-'));
  t.teardown(async () => {
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const pki = options.install === false ? (undefined as unknown as ControlPlanePki) : installControlPlane(kube);
  const kubeconfig = kube.kubeconfigFile(dir);
  return {
    kube,
    dir,
    kubeconfig,
    pki,
    async run(stage = 'control-plane', extra = {}) {
      let text = '';
      const file = extra.token ? kube.kubeconfigFile(fs.mkdtempSync(path.join(dir, 'user-')), undefined, extra.token) : kubeconfig;
      const report = await check({
        stage,
        options: { kubeconfig: file, controlPlaneNamespace: NS, dataPlaneNamespace: extra.dataPlaneNamespace, cliVersion: WEFT_VERSION, now: Date.now },
        waitMs: extra.waitMs ?? 0,
        output: 'table',
        write: (s) => (text += s),
      });
      return { report, text };
    },
  };
}

/** Every check that did not pass, as "category: description (result)". */
function notPassing(report: CheckReport): string[] {
  return report.categories.flatMap((c) => c.checks.filter((x) => x.result !== 'success').map((x) => `${c.categoryName}: ${x.description} (${x.result})`));
}

function outcome(report: CheckReport, description: string) {
  const found = report.categories.flatMap((c) => c.checks).find((x) => x.description === description);
  if (!found) throw new Error(`no check "${description}" in the report: ${JSON.stringify(report.categories.map((c) => c.categoryName))}`);
  return found;
}

const CONTROL_PLANE_CATEGORIES = [
  CHECK_CATEGORIES.kubernetesApi,
  CHECK_CATEGORIES.kubernetesVersion,
  CHECK_CATEGORIES.weftExistence,
  CHECK_CATEGORIES.weftConfig,
  CHECK_CATEGORIES.weftIdentity,
  CHECK_CATEGORIES.weftWebhooks,
  CHECK_CATEGORIES.weftControlPlaneProxy,
  CHECK_CATEGORIES.controlPlaneVersion,
];

t.test('a healthy control plane (what weft install renders, pods ready) is all ✔, in the contract categories', async (t) => {
  const h = await harness(t);
  const { report, text } = await h.run();
  t.same(notPassing(report), []);
  t.equal(report.success, true);
  t.same(report.categories.map((c) => c.categoryName), CONTROL_PLANE_CATEGORIES, 'weft-ha-checks is not run on a one-replica install');
  t.match(text, /^kubernetes-api\n-{14}\n✔ can initialize the client\n✔ can query the Kubernetes API\n\nkubernetes-version\n/);
  t.match(text, /✔ issuer certificate is issued by the trust anchor\n/);
  t.match(text, /\nStatus check results are ✔\n$/);
});

t.test('weft install | kubectl apply -f -, the pods come up, then weft check is green (-o json in the contract shape, exit 0)', async (t) => {
  const h = await harness(t, { install: false });
  const install = await runBin('weft', ['install'], { timeoutMs: 60_000 });
  t.equal(install.code, 0, install.stderr);
  const applied = await kubectl(h.dir, ['apply', '-f', '-'], install.stdout);
  t.equal(applied.code, 0, applied.stderr);
  const before = await h.run();
  t.same(notPassing(before.report), ['weft-existence: control plane pods are ready (error)', 'weft-webhooks-and-apisvc-tls: tap API service is running (error)'], 'applied, but nothing runs the pods yet');
  t.match(outcome(before.report, 'control plane pods are ready').error, /weft-identity has no pods/);
  t.match(outcome(before.report, 'tap API service is running').error, /APIService v1alpha1\.tap\.weft\.io has no Available condition yet/);
  for (const deployment of h.kube.store.list('Deployment', NS)) for (const pod of podsFor(deployment)) h.kube.store.apply(pod);
  h.kube.store.apply({ ...h.kube.store.get('APIService', TAP_API_SERVICE, ''), status: apiServiceStatus() });

  const json = await runBin('weft', ['check', '-o', 'json', '--kubeconfig', h.kubeconfig], { timeoutMs: 60_000 });
  t.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  t.same(Object.keys(parsed).sort(), ['categories', 'success']);
  t.equal(parsed.success, true);
  t.same(parsed.categories.map((c: { categoryName: string }) => c.categoryName), CONTROL_PLANE_CATEGORIES);
  for (const category of parsed.categories) {
    t.same(Object.keys(category).sort(), ['categoryName', 'checks']);
    for (const c of category.checks) t.same(c, { description: c.description, result: 'success' }, `${c.description}: passes, no error or hint`);
  }
  t.same(parsed, (await h.run()).report, 'the process prints what the in-process run reports');
});

t.test('HA: with several replicas weft-ha-checks runs, and warns when fewer than two are ready', async (t) => {
  const h = await harness(t, { install: false });
  installControlPlane(h.kube, { ha: true });
  const healthy = (await h.run()).report;
  t.same(notPassing(healthy), []);
  t.match(outcome(healthy, 'multiple replicas of control plane pods'), { result: 'success' });
  for (const name of ['weft-destination-1', 'weft-destination-2']) h.kube.store.update({ ...h.kube.store.get('Pod', name, NS), status: readyStatus(false) });
  const { report } = await h.run();
  t.same(notPassing(report), [
    'weft-existence: control plane pods are ready (error)',
    'weft-ha-checks: multiple replicas of control plane pods (warning)',
  ]);
});

t.test('an expired issuer turns its validity check red', async (t) => {
  const h = await harness(t);
  const expired = createIssuer({ anchor: loadAuthority(h.pki.anchor), now: Date.now() - 3 * DAY_MS, validityMs: DAY_MS });
  h.kube.store.apply(issuerSecret(expired, h.pki.anchor.certPem));
  const { report, text } = await h.run();
  t.same(notPassing(report), [
    'weft-identity: issuer certificate is within its validity period (error)',
    'weft-identity: issuer certificate is valid for at least 60 days (warning)',
  ]);
  t.equal(report.success, false);
  t.match(text, /× issuer certificate is within its validity period\n {4}CN=identity\.weft\.cluster\.local expired at \d{4}-.*Z\n {4}hint: issue a new issuer from the trust anchor/);
  t.match(text, /‼ issuer certificate is valid for at least 60 days\n/);
});

t.test('an issuer that expires within 60 days is a warning only: the run still succeeds', async (t) => {
  const h = await harness(t);
  const soon = createIssuer({ anchor: loadAuthority(h.pki.anchor), validityMs: 30 * DAY_MS });
  h.kube.store.apply(issuerSecret(soon, h.pki.anchor.certPem));
  const { report } = await h.run();
  t.same(notPassing(report), ['weft-identity: issuer certificate is valid for at least 60 days (warning)']);
  t.match(outcome(report, 'issuer certificate is valid for at least 60 days').error, /expires in (29|30) days/);
  t.equal(report.success, true);
});

t.test('an issuer not signed by the trust anchor turns that check red', async (t) => {
  const h = await harness(t);
  const stranger = createTrustAnchor();
  h.kube.store.apply(issuerSecret(createIssuer({ anchor: loadAuthority(stranger) }), h.pki.anchor.certPem));
  const { report } = await h.run();
  t.same(notPassing(report), ['weft-identity: issuer certificate is issued by the trust anchor (error)']);
  t.match(outcome(report, 'issuer certificate is issued by the trust anchor'), { error: /is not signed by any of the trust anchors/, hint: /weft certs issuer/ });
});

t.test('a caBundle that does not match the injector certificate turns that check red', async (t) => {
  const h = await harness(t);
  h.kube.store.apply(injectorWebhookConfiguration({ caBundlePem: injectorServingCertificate().caPem }));
  const { report } = await h.run();
  t.same(notPassing(report), ['weft-webhooks-and-apisvc-tls: proxy-injector webhook caBundle matches its cert (error)']);
  t.match(outcome(report, 'proxy-injector webhook caBundle matches its cert').error, /does not verify against the webhook's caBundle/);
  h.kube.store.delete('MutatingWebhookConfiguration', INJECTOR_WEBHOOK_CONFIGURATION, '');
  t.match(outcome((await h.run()).report, 'proxy-injector webhook has valid cert').error, /MutatingWebhookConfiguration weft-proxy-injector-webhook-config does not exist/);
});

t.test('a tap certificate that expires within 60 days is a warning; one not for weft-tap.weft.svc turns its validity check red', async (t) => {
  const h = await harness(t);
  const tapSecret = (pair: { certPem: string; keyPem: string; caPem: string }) => ({
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: TAP_TLS_SECRET, namespace: NS },
    data: { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem), 'ca.crt': b64(pair.caPem) },
  });
  const withCaBundle = (caPem: string) => {
    const apiService = h.kube.store.get('APIService', TAP_API_SERVICE, '');
    h.kube.store.apply({ ...apiService, spec: { ...(apiService.spec as object), caBundle: b64(caPem) } });
  };
  const soon = serviceServingCertificate({ service: CONTROL_PLANE_SERVICES.tap.service, namespace: NS, validityMs: 30 * DAY_MS });
  h.kube.store.apply(tapSecret(soon));
  withCaBundle(soon.caPem);
  const warned = (await h.run()).report;
  t.same(notPassing(warned), ['weft-webhooks-and-apisvc-tls: tap API server certificate is valid for at least 60 days (warning)']);
  t.equal(warned.success, true);
  const misnamed = serviceServingCertificate({ service: 'someone-else', namespace: NS });
  h.kube.store.apply(tapSecret(misnamed));
  withCaBundle(misnamed.caPem);
  const { report } = await h.run();
  t.same(notPassing(report), ['weft-webhooks-and-apisvc-tls: tap API server has valid cert (error)']);
  t.match(outcome(report, 'tap API server has valid cert').error, /holds a certificate for someone-else\.weft\.svc, not weft-tap\.weft\.svc/);
});

t.test('a tap APIService the API server cannot reach turns only "tap API service is running" red', async (t) => {
  const h = await harness(t);
  h.kube.store.apply({ ...h.kube.store.get('APIService', TAP_API_SERVICE, ''), status: apiServiceStatus(false) });
  const { report } = await h.run();
  t.same(notPassing(report), ['weft-webhooks-and-apisvc-tls: tap API service is running (error)']);
  t.match(outcome(report, 'tap API service is running'), { error: /is not Available \(FailedDiscoveryCheck\): failing or missing response from weft-tap/, hint: /kubectl get apiservice v1alpha1\.tap\.weft\.io -o yaml/ });
});

t.test('control plane pods not ready turn that check red; --wait waits until they are', async (t) => {
  const h = await harness(t);
  const pod = h.kube.store.get('Pod', 'weft-identity-0', NS);
  h.kube.store.update({ ...pod, status: { phase: 'Pending' } });
  const { report } = await h.run();
  t.same(notPassing(report), ['weft-existence: control plane pods are ready (error)']);
  t.match(outcome(report, 'control plane pods are ready').error, /weft-identity: weft-identity-0 \(Pending\)/);

  // Ready a moment after the run starts: the retried check sees it and the run ends green.
  const waited = h.run('control-plane', { waitMs: 30_000 });
  setTimeout(() => h.kube.store.update({ ...h.kube.store.get('Pod', 'weft-identity-0', NS), status: readyStatus() }), 1500);
  const after = await waited;
  t.same(notPassing(after.report), []);
  t.equal(after.report.success, true);
});

t.test('missing RBAC: the control plane roles (SubjectAccessReview) and the installing user (--pre, SelfSubjectAccessReview)', async (t) => {
  const h = await harness(t, { authorization: 'RBAC', users: { 'jane-token': { username: 'jane' } } });
  t.same(notPassing((await h.run()).report), [], 'green under RBAC with the roles bound');
  h.kube.store.delete('ClusterRoleBinding', 'weft-weft-identity', '');
  const broken = await h.run();
  t.same(notPassing(broken.report), ['weft-config: control plane roles may do what they need (RBAC) (error)']);
  t.match(outcome(broken.report, 'control plane roles may do what they need (RBAC)').error, 'weft-identity may not create tokenreviews.authentication.k8s.io');

  const fresh = await harness(t, { install: false, authorization: 'RBAC', users: { 'jane-token': { username: 'jane' } } });
  t.same(notPassing((await fresh.run('pre')).report), [], 'the admin may create everything');
  fresh.kube.store.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'namespaced-installer' },
    rules: [{ apiGroups: ['', 'apps', 'rbac.authorization.k8s.io', 'policy'], resources: ['*'], verbs: ['create', 'get'] }],
  });
  fresh.kube.store.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'jane', namespace: 'default' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'namespaced-installer' },
    subjects: [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }],
  });
  const jane = await fresh.run('pre', { token: 'jane-token' });
  t.equal(jane.report.success, false);
  t.same(jane.report.categories.map((c) => c.categoryName), [CHECK_CATEGORIES.kubernetesApi, CHECK_CATEGORIES.kubernetesVersion, CHECK_CATEGORIES.preKubernetesSetup]);
  t.match(outcome(jane.report, 'can create non-namespaced resources'), {
    result: 'error',
    error: 'not allowed to create namespaces, clusterroles.rbac.authorization.k8s.io, clusterrolebindings.rbac.authorization.k8s.io, apiservices.apiregistration.k8s.io, mutatingwebhookconfigurations.admissionregistration.k8s.io',
  });
  t.match(outcome(jane.report, 'can create Deployments'), { result: 'error', error: 'not allowed to create deployments.apps in namespace weft' }, 'bound in default, not in weft');

  fresh.kube.store.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'jane' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'namespaced-installer' },
    subjects: [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }],
  });
  t.same(notPassing((await fresh.run('pre', { token: 'jane-token' })).report), [
    'pre-kubernetes-setup: can create non-namespaced resources (error)',
  ], 'namespaced kinds allowed everywhere now; MutatingWebhookConfigurations still not');
});

t.test('--pre: an installed namespace, an old Kubernetes and a skewed clock each turn their own check', async (t) => {
  const h = await harness(t, { install: false });
  t.same(notPassing((await h.run('pre')).report), []);
  h.kube.setVersion({ major: '1', minor: '19', gitVersion: 'v1.19.16' });
  h.kube.setClockSkew(5 * 60_000);
  h.kube.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const { report } = await h.run('pre');
  t.same(notPassing(report), [
    'kubernetes-version: is running the minimum Kubernetes API version (error)',
    'pre-kubernetes-setup: control plane namespace does not already exist (error)',
    'pre-kubernetes-setup: no clock skew detected (warning)',
  ]);
  t.match(outcome(report, 'is running the minimum Kubernetes API version').error, 'Kubernetes is v1.19.16; weft needs 1.21 or later');
  t.match(outcome(report, 'no clock skew detected').error, /the API server's clock is (299|300|301) s ahead of this machine's/);
});

t.test('--proxy: ready proxies of this version pass; a proxy from another anchor, or not ready, turns its check red', async (t) => {
  const h = await harness(t);
  const empty = await h.run('proxy');
  t.same(notPassing(empty.report), ['weft-data-plane: data plane proxies are ready (error)'], 'said once, the other data plane checks skip');
  t.match(outcome(empty.report, 'data plane proxies are ready').error, 'no meshed pods in any namespace');

  // Two real proxies: web's certificate from the installed anchor's issuer, api's from another anchor's.
  const current = await startTestIdentityService(t, { anchor: h.pki.anchor });
  const other = await startTestIdentityService(t);
  const [web, api] = await Promise.all([
    startProxy(t, { identity: current.proxyEnv('web', 'demo') }),
    startProxy(t, { identity: other.proxyEnv('api', 'default') }),
  ]);
  h.kube.store.create(meshedPod('web-0', 'demo', h.pki.anchor.certPem, { adminPort: web.admin.port }));
  const healthy = await h.run('proxy');
  t.same(notPassing(healthy.report), []);
  t.same(healthy.report.categories.slice(-2).map((c) => c.categoryName), [CHECK_CATEGORIES.weftDataPlane, CHECK_CATEGORIES.weftIdentityDataPlane]);
  t.match(outcome(healthy.report, CERT_CHAINS), { result: 'success' }, "web-0's certificate was read and verified");

  // Injected with the current anchors, but its proxy's certificate is from another issuer: only the chain check.
  h.kube.store.create(meshedPod('api-0', 'default', h.pki.anchor.certPem, { adminPort: api.admin.port }));
  const untrusted = await h.run('proxy');
  t.same(notPassing(untrusted.report), [`weft-identity-data-plane: ${CERT_CHAINS} (error)`]);
  t.match(outcome(untrusted.report, CERT_CHAINS), {
    error: /^certificates that do not chain to the current trust anchors: default\/api-0 \(no trust anchor or intermediate in the chain signed .*\)$/,
    hint: /^restart the pod so its proxy gets a certificate from the current issuer/,
  });
  t.notMatch(outcome(untrusted.report, CERT_CHAINS).error, /web-0/);

  // Injected with other anchors too: the annotation check flags it as well.
  h.kube.store.apply(meshedPod('api-0', 'default', createTrustAnchor().certPem, { adminPort: api.admin.port }));
  const stale = await h.run('proxy');
  t.same(notPassing(stale.report), [`weft-identity-data-plane: ${CERT_CHAINS} (error)`, 'weft-identity-data-plane: data plane proxies trust the current trust anchors (error)']);
  t.match(outcome(stale.report, 'data plane proxies trust the current trust anchors'), { error: /^weft\.io\/trust-root-sha256 is not the current bundle's .*: default\/api-0$/, hint: /kubectl rollout restart/ });
  t.same(notPassing((await h.run('proxy', { dataPlaneNamespace: 'demo' })).report), [], '--namespace demo leaves default out');

  // A ready pod whose proxy cannot be asked: × with how to see why.
  await api.stop();
  const gone = await h.run('proxy', { dataPlaneNamespace: 'default' });
  t.match(outcome(gone.report, CERT_CHAINS), { result: 'error', error: /^cannot read the certificate of default\/api-0 \(.*503/, hint: /kubectl get --raw \/api\/v1\/namespaces\/NAMESPACE\/pods\/NAME:4191\/proxy\/identity/ });

  // Not ready: the readiness check says so; the certificate check leaves it out (it may hold none yet).
  h.kube.store.create(meshedPod('web-1', 'demo', h.pki.anchor.certPem, { ready: false, version: '0.0.9' }));
  const demo = await h.run('proxy', { dataPlaneNamespace: 'demo' });
  t.same(notPassing(demo.report), ['weft-data-plane: data plane proxies are ready (error)', 'weft-data-plane: data plane and cli versions match (warning)']);
  t.match(outcome(demo.report, 'data plane proxies are ready').error, 'weft-proxy not ready in demo/web-1');
});

t.test('an unreachable API server is one × with a hint, exit 1, no stack trace', async (t) => {
  const h = await harness(t, { install: false });
  await h.kube.stop();
  const inProcess = await h.run();
  t.same(inProcess.report.categories, [
    {
      categoryName: CHECK_CATEGORIES.kubernetesApi,
      checks: [
        { description: 'can initialize the client', result: 'success' },
        {
          description: 'can query the Kubernetes API',
          result: 'error',
          error: `GET ${h.kube.url}/version: connect ECONNREFUSED 127.0.0.1:${h.kube.port}`,
          hint: 'check that the API server in the kubeconfig is up and reachable from here (kubectl version says the same)',
        },
      ],
    },
  ], 'the fatal check ends the run');

  let shortText = '';
  const proc = await runBin('weft', ['check', '--kubeconfig', h.kubeconfig], { timeoutMs: 60_000 });
  t.equal(proc.code, 1);
  t.equal(proc.stderr, '', 'nothing on stderr: the finding is the output');
  t.equal(
    proc.stdout,
    [
      'kubernetes-api',
      '--------------',
      '✔ can initialize the client',
      '× can query the Kubernetes API',
      `    GET ${h.kube.url}/version: connect ECONNREFUSED 127.0.0.1:${h.kube.port}`,
      '    hint: check that the API server in the kubeconfig is up and reachable from here (kubectl version says the same)',
      '',
      'Status check results are ×',
      '',
    ].join('\n'),
  );
  const noContext = await check({
    stage: 'control-plane',
    options: { kubeconfig: h.kubeconfig, context: 'nope', controlPlaneNamespace: NS, cliVersion: WEFT_VERSION, now: Date.now },
    waitMs: 0,
    output: 'short',
    write: (s) => (shortText += s),
  });
  t.equal(noContext.success, false);
  t.match(shortText, /^kubernetes-api\n-+\n× can initialize the client\n {4}context "nope" is not in .*kubeconfig; it has weft-test\n {4}hint: name the cluster as for kubectl/);
  t.notMatch(shortText, /✔/, 'short prints only what did not pass');
  await t.rejects(buildProgram().parseAsync(['node', 'weft', 'check', '--pre', '--proxy']), {
    name: 'UsageError',
    message: '--pre checks a cluster before install and --proxy the meshed pods after it: give one of them',
  });
});
