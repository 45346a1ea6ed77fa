// The install's objects from one plan: what each role runs is what weft-controller accepts, RBAC is what each
// role's code asks of the API, and the values table (with its nearest-key errors) is the one docs/install.md shows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import { installCertificates } from '../../../../cli/install/certificates';
import { InstallPlan } from '../../../../cli/install/plan';
import { renderInstall } from '../../../../cli/install/render';
import { nearestKeys, parseSetFlag, resolveValues, valuesTableMarkdown } from '../../../../cli/install/values';
import { parseControllerArgs } from '../../../../controller/options';
import { meshConfigFromConfigMap } from '../../../../injector/mesh-config';

const certificates = installCertificates({ supplied: {}, externalIssuer: false, trustDomain: 'cluster.local' });
const plan = (given: Record<string, string> = {}): InstallPlan => ({ values: resolveValues(given), given, certificates });
type Obj = { kind: string; metadata: { name: string }; [k: string]: any };
const objects = (given: Record<string, string> = {}) => renderInstall(plan(given)) as unknown as Obj[];
const find = (all: Obj[], kind: string, name: string) => all.find((o) => o.kind === kind && o.metadata.name === name)!;

t.test("each Deployment's arguments are what weft-controller parses, in a pod", async (t) => {
  const all = objects({ trustDomain: 'example.org', clusterDomain: 'corp.local' });
  for (const name of ['weft-identity', 'weft-destination', 'weft-proxy-injector']) {
    const [container] = find(all, 'Deployment', name).spec.template.spec.containers;
    const parsed = parseControllerArgs(container.args, { KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    t.equal(parsed.help, false, name);
    if (parsed.help) continue;
    t.same(parsed.options.roles, [container.name], `${name} runs the ${container.name} role`);
    t.same(parsed.options.facts, { kind: 'kubernetes' }, 'in-cluster config');
    if (container.name === 'destination') {
      t.match(parsed.options.destinationTls, { kind: 'tls', trustDomain: 'example.org', identitySvcAddr: { host: 'weft-identity.weft.svc.corp.local', port: 8080 } });
    }
  }
  const tap = find(all, 'Deployment', 'weft-tap').spec.template.spec.containers[0];
  t.same(tap.args.slice(0, 3), ['tap', '--tap-addr', '0.0.0.0:8089'], 'tap: the flags CONTRACT.md gives it');
});

t.test('weft-config holds a mesh config the injector accepts, and the values given', async (t) => {
  const configMap = find(objects({ 'proxy.version': 'v9', 'controller.replicas': '2' }), 'ConfigMap', 'weft-config');
  const mesh = meshConfigFromConfigMap(configMap);
  t.equal(mesh.proxy.version, 'v9');
  t.equal(mesh.trustAnchorsPem, certificates.trustAnchorsPem);
  t.same(YAML.parse(configMap.data['values.yaml']), { 'proxy.version': 'v9', 'controller.replicas': '2' });
  t.throws(() => objects({ 'proxy.image': 'Not An Image' }), { name: 'UsageError', message: /^--set proxy\.image: expected an image repository without tag/ });
});

t.test('RBAC: each role only what its code asks of the API', async (t) => {
  const all = objects();
  const rules = (name: string) => find(all, 'ClusterRole', name).rules.map((r: any) => `${r.apiGroups[0] || 'core'}/${r.resources.join('+')}:${r.verbs.join('+')}`);
  t.same(rules('weft-weft-identity'), ['authentication.k8s.io/tokenreviews:create']);
  const facts = ['core/pods+services:get+list+watch', 'discovery.k8s.io/endpointslices:get+list+watch', 'apps/replicasets:get+list+watch', 'batch/jobs:get+list+watch'];
  t.same(rules('weft-weft-destination'), facts);
  t.same(rules('weft-weft-proxy-injector'), ['core/namespaces:get+list+watch', 'apps/replicasets:get', 'batch/jobs:get']);
  t.same(rules('weft-weft-tap'), [...facts, 'authorization.k8s.io/subjectaccessreviews:create']);
  t.same(find(all, 'Role', 'weft-proxy-injector').rules, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }], 'its ConfigMap, in weft only');
  const bindings = all.filter((o) => o.kind.endsWith('Binding'));
  t.equal(bindings.length, 6);
  for (const binding of bindings.filter((b: any) => b.metadata.namespace !== 'kube-system')) {
    t.match(binding, { roleRef: { name: binding.metadata.name }, subjects: [{ kind: 'ServiceAccount', namespace: 'weft' }] });
  }
  // The aggregated tap API reads the front-proxy CA as every extension API server does: the built-in Role.
  t.match(find(all, 'RoleBinding', 'weft-weft-tap-auth-reader'), {
    metadata: { namespace: 'kube-system' },
    roleRef: { kind: 'Role', name: 'extension-apiserver-authentication-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'weft-tap', namespace: 'weft' }],
  });
});

t.test('the webhook: namespaceSelector without kube-system and weft, Ignore unless HA, 10 s', async (t) => {
  const [webhook] = find(objects(), 'MutatingWebhookConfiguration', 'weft-proxy-injector-webhook-config').webhooks;
  t.same(webhook.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'weft'] }] });
  t.match(webhook, { failurePolicy: 'Ignore', sideEffects: 'None', timeoutSeconds: 10, clientConfig: { service: { name: 'weft-proxy-injector', namespace: 'weft', port: 443 } } });
  t.equal(Buffer.from(webhook.clientConfig.caBundle, 'base64').toString(), certificates.webhook.caPem);
  t.equal(find(objects({ ha: 'true' }), 'MutatingWebhookConfiguration', 'weft-proxy-injector-webhook-config').webhooks[0].failurePolicy, 'Fail');
  t.equal(find(objects({ ha: 'true', 'webhook.failurePolicy': 'Ignore' }), 'MutatingWebhookConfiguration', 'weft-proxy-injector-webhook-config').webhooks[0].failurePolicy, 'Ignore', '--set wins over --ha');
  t.notOk(objects({ 'identity.externalIssuer': 'true' }).some((o) => o.kind === 'Secret' && o.metadata.name === 'weft-identity-issuer'), 'external issuer: no issuer Secret');
});

t.test('--set: unknown keys name the nearest ones; wrong forms name the form', async (t) => {
  t.equal(nearestKeys('replicas')[0], 'controller.replicas');
  t.equal(nearestKeys('proxy.logleve')[0], 'proxy.logLevel');
  t.equal(nearestKeys('webhook.timeout')[0], 'webhook.timeoutSeconds');
  t.throws(() => parseSetFlag('controler.image=x'), { message: /^--set controler\.image: unknown key; nearest: controller\.image, / });
  t.throws(() => parseSetFlag('novalue'), { message: /is not key=value/ });
  t.same(parseSetFlag('clusterNetworks=10.0.0.0/8,fd00::/8'), ['clusterNetworks', '10.0.0.0/8,fd00::/8']);
  t.throws(() => resolveValues({ 'controller.replicas': 'many', 'webhook.timeoutSeconds': '31' }), {
    message: '--set controller.replicas="many": expected a whole number, 1 to 10; webhook.timeoutSeconds="31": expected a whole number, 1 to 30',
  });
});

t.test('docs/install.md shows the values table as the code has it', async (t) => {
  const doc = fs.readFileSync(path.join(__dirname, '../../../../docs/install.md'), 'utf8');
  t.ok(doc.includes(valuesTableMarkdown()), 'regenerate the table from valuesTableMarkdown() when a value changes');
});
