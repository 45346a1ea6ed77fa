// `weft install | kubectl apply -f -`, `weft upgrade` and `weft uninstall | kubectl delete -f -` as an operator runs
// them: the real bin and the real kubectl against the test API server, which validates every object it stores
// with kubernetes-models.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import YAML from 'yaml';
import { KubeApiServer, startKubeApiServer } from '../fixtures/kube-api-server';
import { InstallCertFiles, writeInstallCerts } from '../fixtures/install-certs';
import { kubectl } from '../fixtures/kubectl';
import { runBin } from '../fixtures/run-bin';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

const documents = (text: string): Obj[] => YAML.parseAllDocuments(text).map((d) => d.toJS() as Obj).filter(Boolean);
const weft = (args: string[]) => runBin('weft', args, { timeoutMs: 60_000 });
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

interface Harness {
  kube: KubeApiServer;
  dir: string;
  certs: InstallCertFiles;
  kubeconfig: string;
}

async function harness(t: Test): Promise<Harness> {
  const kube = await startKubeApiServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-install-'));
  t.teardown(async () => {
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { kube, dir, certs: writeInstallCerts(path.join(dir, 'certs')), kubeconfig: kube.kubeconfigFile(dir) };
}

async function installed(t: Test, h: Harness, extra: string[] = []): Promise<{ objects: Obj[]; text: string }> {
  const install = await weft(['install', ...h.certs.flags, ...extra]);
  t.equal(install.code, 0, install.stderr);
  const applied = await kubectl(h.dir, ['apply', '-f', '-'], install.stdout);
  t.equal(applied.code, 0, `kubectl apply: ${applied.stderr}`);
  const objects = documents(install.stdout);
  t.equal(applied.stdout.trimEnd().split('\n').length, objects.length, 'kubectl reports one line per object');
  return { objects, text: install.stdout };
}

const stored = (h: Harness, o: Obj) => h.kube.store.get(o.kind, o.metadata.name, o.metadata.namespace);

/** --ha: 3 replicas, PodDisruptionBudgets, anti-affinity, failurePolicy Fail, requests and limits. */
function highlyAvailable(t: Test, h: Harness, objects: Obj[]): void {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  t.equal(deployments.length, 4);
  for (const d of deployments) {
    t.equal(d.spec.replicas, 3, `${d.metadata.name}: 3 replicas`);
    t.match(d.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0], { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: d.spec.selector.matchLabels } });
    t.same(d.spec.template.spec.containers[0].resources, { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } });
  }
  const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
  t.same(budgets.map((b) => b.spec), deployments.map((d) => ({ maxUnavailable: 1, selector: d.spec.selector })));
  t.equal(h.kube.store.list('PodDisruptionBudget', 'weft').length, 4, 'stored by the test API server');
  t.equal(objects.find((o) => o.kind === 'MutatingWebhookConfiguration')!.webhooks[0].failurePolicy, 'Fail');
}

t.test('weft install | kubectl apply -f -: every object stored, as printed', async (t) => {
  const h = await harness(t);
  const { objects, text } = await installed(t, h);
  t.same(
    objects.map((o) => o.kind),
    [
      'Namespace', ...Array(4).fill('ServiceAccount'), ...Array(4).fill('ClusterRole'), ...Array(4).fill('ClusterRoleBinding'), 'Role', 'RoleBinding', 'RoleBinding',
      'ConfigMap', 'ConfigMap', 'Secret', 'Secret', 'Secret', ...Array(4).fill('Service'), ...Array(4).fill('Deployment'), 'APIService', 'MutatingWebhookConfiguration',
    ],
    'apply order: namespace, accounts, RBAC, config, secrets, services, deployments, the APIService and the webhook last',
  );
  for (const object of objects) {
    const { metadata, ...rest } = object;
    const kept = stored(h, object);
    t.match(kept, { metadata: { name: metadata.name, labels: metadata.labels } }, `${object.kind} ${metadata.name} stored`);
    const fields = Object.fromEntries(Object.keys(rest).map((key) => [key, kept[key]]));
    t.match(fields, rest, `${object.kind} ${metadata.name} holds what install printed`);
  }
  const issuer = h.kube.store.get('Secret', 'weft-identity-issuer', 'weft') as Obj;
  t.equal(issuer.type, 'kubernetes.io/tls');
  t.equal(decode(issuer.data['tls.crt']), h.certs.issuer.certPem);
  t.equal(decode(issuer.data['ca.crt']), h.certs.anchorPem, "ca.crt: the anchors, as cert-manager's layout has it");
  t.equal((h.kube.store.get('ConfigMap', 'weft-identity-trust-roots', 'weft') as Obj).data['ca-bundle.crt'], h.certs.anchorPem);
  const webhook = h.kube.store.get('MutatingWebhookConfiguration', 'weft-proxy-injector-webhook-config') as Obj;
  t.equal(decode(webhook.webhooks[0].clientConfig.caBundle), h.certs.webhook.caPem, 'caBundle: the CA at the end of the webhook chain');
  t.match(webhook.webhooks[0], { failurePolicy: 'Ignore', sideEffects: 'None', timeoutSeconds: 10 });
  const apiService = h.kube.store.get('APIService', 'v1alpha1.tap.weft.io') as Obj;
  t.match(apiService.spec, { group: 'tap.weft.io', version: 'v1alpha1', service: { name: 'weft-tap', namespace: 'weft', port: 443 } });
  t.equal(decode(apiService.spec.caBundle), h.certs.tap.caPem, "the APIService trusts tap's serving CA");
  t.equal(decode((h.kube.store.get('Secret', 'weft-tap-k8s-tls', 'weft') as Obj).data['tls.crt']), h.certs.tap.certPem);
  const reader = h.kube.store.get('RoleBinding', 'weft-weft-tap-auth-reader', 'kube-system') as Obj;
  t.match(reader, { roleRef: { kind: 'Role', name: 'extension-apiserver-authentication-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'weft-tap', namespace: 'weft' }] }, 'tap may read the requestheader CA, in kube-system');
  const tapService = h.kube.store.get('Service', 'weft-tap', 'weft') as Obj;
  t.match(tapService.spec.ports, [{ port: 443, targetPort: 'https' }]);

  const second = await weft(['install', ...h.certs.flags]);
  t.equal(second.stdout, text, 'every certificate supplied: the same input gives the same bytes');
  const again = await kubectl(h.dir, ['apply', '-f', '-'], second.stdout);
  t.equal(again.code, 0, again.stderr);
  t.notMatch(again.stdout, /configured|created/, `applying the same install again changes nothing:\n${again.stdout}`);
});

t.test('weft upgrade: the installed values and identity kept, new flags on top', async (t) => {
  const h = await harness(t);
  const install = await installed(t, h, ['--set', 'controller.logLevel=debug', '--set', 'proxy.version=v1.2.3']);
  const upgrade = await weft(['upgrade', '--kubeconfig', h.kubeconfig]);
  t.equal(upgrade.code, 0, upgrade.stderr);
  t.equal(upgrade.stdout, install.text, 'with nothing changed, upgrade renders the install it finds, byte for byte');

  const ha = await weft(['upgrade', '--kubeconfig', h.kubeconfig, '--ha']);
  t.equal(ha.code, 0, ha.stderr);
  const applied = await kubectl(h.dir, ['apply', '-f', '-'], ha.stdout);
  t.equal(applied.code, 0, applied.stderr);
  t.match(applied.stdout, /poddisruptionbudget.policy\/weft-identity created/);
  t.match(applied.stdout, /secret\/weft-identity-issuer unchanged/, 'the issuer is the one the cluster holds');
  t.match(applied.stdout, /secret\/weft-proxy-injector-k8s-tls unchanged/);
  t.match(applied.stdout, /configmap\/weft-identity-trust-roots unchanged/);
  const later = documents((await weft(['upgrade', '--kubeconfig', h.kubeconfig])).stdout);
  const identity = later.find((o) => o.kind === 'Deployment' && o.metadata.name === 'weft-identity')!;
  t.equal(identity.spec.replicas, 3, '--ha is kept by the next upgrade');
  t.match(identity.spec.template.spec.containers[0].args.join(' '), '--log-level debug', 'and so is --set');
});

t.test('weft upgrade without an install, or against no API server: one error line', async (t) => {
  const h = await harness(t);
  const none = await weft(['upgrade', '--kubeconfig', h.kubeconfig]);
  t.equal(none.code, 1);
  t.match(none.stderr, /^weft: error: weft is not installed in http:\/\/127\.0\.0\.1:\d+: there is no ConfigMap weft\/weft-config; run weft install\n$/);
  await h.kube.stop();
  const down = await weft(['uninstall', '--kubeconfig', h.kubeconfig]);
  t.equal(down.code, 1);
  t.match(down.stderr, /^weft: error: cannot read the meshed pods from http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): check that the cluster is reachable[^\n]*\n$/);
});

t.test('--ha applied; weft uninstall refused while meshed pods remain, then | kubectl delete -f - removes everything', async (t) => {
  const h = await harness(t);
  const { objects } = await installed(t, h, ['--ha']);
  highlyAvailable(t, h, objects);
  h.kube.store.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', labels: { 'weft.io/control-plane-ns': 'weft' } },
    spec: { containers: [{ name: 'web', image: 'nginx' }] },
  });
  const refused = await weft(['uninstall', '--kubeconfig', h.kubeconfig]);
  t.equal(refused.code, 1);
  t.equal(refused.stdout, '');
  t.match(refused.stderr, /^weft: error: 1 meshed pod\(s\) remain \(default\/web-1\): remove their proxies first .* or pass --force\n$/);

  const forced = await weft(['uninstall', '--kubeconfig', h.kubeconfig, '--force']);
  t.equal(forced.code, 0, forced.stderr);
  t.match(forced.stderr, /warning: 1 meshed pod\(s\) remain \(default\/web-1\)/);
  h.kube.store.delete('Pod', 'web-1');
  const uninstall = forced;
  const listed = documents(uninstall.stdout);
  t.same(
    listed.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort(),
    objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort(),
    'every object install made, found in the cluster (tap\'s RoleBinding in kube-system too)',
  );
  t.equal(listed[0].kind, 'MutatingWebhookConfiguration', 'the webhook first');
  t.equal(listed[listed.length - 1].kind, 'Namespace', 'the namespace last');
  const deleted = await kubectl(h.dir, ['delete', '-f', '-'], uninstall.stdout);
  t.equal(deleted.code, 0, deleted.stderr);
  for (const o of objects) t.throws(() => stored(h, o), `${o.kind} ${o.metadata.name} deleted`);
  const empty = await weft(['uninstall', '--kubeconfig', h.kubeconfig]);
  t.equal(empty.code, 0);
  t.equal(empty.stdout, '');
  t.match(empty.stderr, 'nothing to delete');
});

t.test('bad input: exit 2 with one line naming what is wrong', async (t) => {
  const h = await harness(t);
  const other = writeInstallCerts(path.join(h.dir, 'other'));
  // The anchors of one install with the issuer of another.
  const mixed = [...h.certs.flags.slice(0, 2), ...other.flags.slice(2, 6)];
  const [unknown, form, unchained] = await Promise.all([
    weft(['install', '--set', 'controller.replica=3']),
    weft(['install', '--set', 'webhook.failurePolicy=Sometimes']),
    weft(['install', ...mixed]),
  ]);
  t.equal(unknown.code, 2);
  t.equal(unknown.stdout, '');
  t.match(unknown.stderr, /^weft: error: --set controller\.replica: unknown key; nearest: controller\.replicas, [^\n]+\n$/);
  t.match(form, { code: 2, stderr: /^weft: error: --set webhook\.failurePolicy="Sometimes": expected Ignore or Fail\n$/ });
  t.equal(unchained.code, 2);
  t.match(unchained.stderr, /^weft: error: --identity-issuer-certificate-file \S+issuer\.crt: CN=identity\.weft\.cluster\.local is not signed by any of the trust anchors/);
});
