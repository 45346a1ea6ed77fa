// `weft inject` and `weft uninject` run as an operator runs them (the real bin, a child process), on sample
// manifests of every kind, from a file and from stdin; every object printed is checked with kubernetes-models.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import t, { type Test } from 'tap';
import YAML from 'yaml';
import { createTrustAnchor } from '../../certs';
import { BinRun, runBin } from '../fixtures/run-bin';

const MANIFESTS = path.join(__dirname, '../fixtures/manifests');
const WORKLOADS = path.join(MANIFESTS, 'workloads.yaml');
const WORKLOADS_TEXT = fs.readFileSync(WORKLOADS, 'utf8');
const anchor = createTrustAnchor();

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any; items?: Obj[] };
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'apps/v1 StatefulSet': StatefulSet,
  'apps/v1 DaemonSet': DaemonSet,
  'apps/v1 ReplicaSet': ReplicaSet,
  'batch/v1 Job': Job,
  'batch/v1 CronJob': CronJob,
  'v1 Pod': Pod,
  'v1 Service': Service,
};

const weft = (args: string[], stdin?: string) => runBin('weft', args, { stdin });
const documents = (text: string): Obj[] => YAML.parseAllDocuments(text).map((d) => d.toJS() as Obj);
const flatten = (objects: Obj[]): Obj[] => objects.flatMap((o) => (o.kind === 'List' ? flatten(o.items!) : [o]));

function podTemplateOf(object: Obj): { metadata?: any; spec: any } {
  if (object.kind === 'Pod') return object as never;
  if (object.kind === 'CronJob') return object.spec.jobTemplate.spec.template;
  return object.spec.template;
}

/** Every object parses, has a schema we know, and validates against it. */
function validated(t: Test, text: string): Obj[] {
  const objects = flatten(documents(text));
  for (const object of objects) {
    const model = MODELS[`${object.apiVersion} ${object.kind}`];
    t.ok(model, `${object.kind} has a model`);
    t.doesNotThrow(() => new model(object as never).validate(), `${object.kind} ${object.metadata.name} is valid`);
  }
  return objects;
}

function succeeded(t: Test, run: BinRun): void {
  t.equal(run.code, 0, run.stderr);
}

const EXPECTED_LINES = [
  'deployment "web" injected',
  'statefulset "db" injected',
  'daemonset "log-agent" injected',
  'replicaset "cache" injected',
  'job "migrate" injected',
  'cronjob "report" injected',
  'pod "debug" injected',
  'deployment "api" injected',
  'service "api" skipped: not a workload',
  'service "web" skipped: not a workload',
];

t.test('weft inject FILE: the annotation on every pod template, a line per object', async (t) => {
  const run = await weft(['inject', WORKLOADS]);
  succeeded(t, run);
  t.same(run.stderr.trimEnd().split('\n'), EXPECTED_LINES);
  const objects = validated(t, run.stdout);
  const workloads = objects.filter((o) => o.kind !== 'Service');
  t.equal(workloads.length, 8);
  for (const workload of workloads) {
    const template = podTemplateOf(workload);
    t.equal(template.metadata.annotations['weft.io/inject'], 'enabled', `${workload.kind} annotated`);
    t.notOk(template.spec.containers.some((c: { name: string }) => c.name === 'weft-proxy'), 'no proxy: the webhook adds it');
  }
  t.equal(documents(run.stdout)[7].kind, 'List', 'a List stays a List');
});

t.test('weft inject --manual -: the whole patch, from stdin', async (t) => {
  const dir = t.testdir({ 'ca.crt': anchor.certPem });
  const run = await weft(['inject', '--manual', '--trust-anchors', path.join(dir, 'ca.crt'), '-'], WORKLOADS_TEXT);
  succeeded(t, run);
  t.same(run.stderr.trimEnd().split('\n'), EXPECTED_LINES);
  const objects = validated(t, run.stdout);
  const byName = Object.fromEntries(objects.filter((o) => o.kind !== 'Service').map((o) => [o.metadata.name, podTemplateOf(o)]));
  for (const [name, template] of Object.entries(byName)) {
    t.equal(template.spec.containers[0].name, 'weft-proxy', `${name}: the proxy first`);
    t.ok(template.spec.initContainers.some((c: { name: string }) => c.name === 'weft-init'), `${name}: weft-init`);
    t.ok(template.spec.volumes.some((v: { name: string }) => v.name === 'weft-identity-token'), `${name}: the token volume`);
    t.equal(template.metadata.labels['weft.io/control-plane-ns'], 'weft');
  }
  t.equal(byName.web.metadata.labels['weft.io/proxy-deployment'], 'web');
  t.equal(byName.web.metadata.labels['weft.io/workload-ns'], 'shop', "the object's own namespace");
  t.equal(byName.cache.metadata.labels['weft.io/workload-ns'], 'default', 'or --namespace\'s default');
  t.equal(byName.db.metadata.labels['weft.io/proxy-statefulset'], 'db');
  t.equal(byName.report.metadata.labels['weft.io/proxy-cronjob'], 'report');
  t.notOk(Object.keys(byName.debug.metadata.labels).some((l) => l.startsWith('weft.io/proxy-')), 'a bare pod has no workload');
  t.equal(byName.db.metadata.annotations['config.weft.io/opaque-ports'], '5432', 'postgres is server-speaks-first');
  t.equal(byName.cache.metadata.annotations['config.weft.io/opaque-ports'], '6379', 'so is redis');
  t.same(byName.db.spec.containers[0].resources, { limits: { memory: '256Mi' } });
  t.same(byName.migrate.spec.initContainers.map((c: { name: string }) => c.name), ['wait-for-db', 'weft-init']);
  const env = Object.fromEntries(byName.web.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
  t.equal(env.WEFT_PROXY_IDENTITY_TRUST_ANCHORS, anchor.certPem);
  t.equal(env.WEFT_PROXY_INBOUND_PORTS, '8080');
});

t.test('--kubernetes-version 1.30: native sidecars, so the Job completes', async (t) => {
  const dir = t.testdir({ 'ca.crt': anchor.certPem });
  const run = await weft(['inject', '--manual', '--trust-anchors', path.join(dir, 'ca.crt'), '--kubernetes-version', 'v1.30.1', WORKLOADS]);
  succeeded(t, run);
  const job = validated(t, run.stdout).find((o) => o.kind === 'Job')!;
  const spec = podTemplateOf(job).spec;
  t.same(spec.initContainers.map((c: { name: string }) => c.name), ['weft-init', 'weft-proxy', 'wait-for-db']);
  t.equal(spec.initContainers[1].restartPolicy, 'Always');
  t.same(spec.containers.map((c: { name: string }) => c.name), ['migrate']);
});

t.test('--mesh-config: the ConfigMap weft-config as a file, flags on top', async (t) => {
  const configYaml = YAML.stringify({ controlPlaneNamespace: 'mesh', proxy: { image: 'registry.example/weft-proxy', version: '9.9.9' }, trustAnchorsPem: anchor.certPem });
  const configMap = YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'weft-config', namespace: 'mesh' }, data: { 'config.yaml': configYaml } });
  const dir = t.testdir({ 'weft-config.yaml': configMap });
  const run = await weft(['inject', '--manual', '--mesh-config', path.join(dir, 'weft-config.yaml'), '--proxy-version', '1.2.3', '-'], WORKLOADS_TEXT);
  succeeded(t, run);
  const web = podTemplateOf(validated(t, run.stdout)[0]);
  t.equal(web.spec.containers[0].image, 'registry.example/weft-proxy:1.2.3');
  t.equal(web.metadata.labels['weft.io/control-plane-ns'], 'mesh');
});

for (const manual of [false, true]) {
  t.test(`uninject(inject(x)) = x for every kind (${manual ? '--manual' : 'annotation'})`, async (t) => {
    const dir = t.testdir({ 'ca.crt': anchor.certPem });
    const injected = await weft(['inject', ...(manual ? ['--manual', '--trust-anchors', path.join(dir, 'ca.crt')] : []), '-'], WORKLOADS_TEXT);
    succeeded(t, injected);
    const back = await weft(['uninject', '-'], injected.stdout);
    succeeded(t, back);
    t.same(back.stderr.trimEnd().split('\n'), EXPECTED_LINES.map((l) => l.replace(' injected', ' uninjected')));
    t.same(documents(back.stdout), documents(WORKLOADS_TEXT).map((o) => structuredClone(o)), 'the manifest as it was');
    const again = await weft(['uninject', '-'], back.stdout);
    t.match(again.stderr, 'deployment "web" skipped: not injected');
  });
}

t.test('workloads that must stay unmeshed are passed through with the reason', async (t) => {
  for (const manual of [false, true]) {
    const dir = t.testdir({ 'ca.crt': anchor.certPem });
    const run = await weft(['inject', ...(manual ? ['--manual', '--trust-anchors', path.join(dir, 'ca.crt')] : []), path.join(MANIFESTS, 'skipped.yaml')]);
    succeeded(t, run);
    const lines = run.stderr.trimEnd().split('\n');
    t.match(lines[0], /^daemonset "node-exporter" skipped: host_network: it uses the node's network/);
    t.match(lines[1], /^deployment "coredns" skipped: kube_system_namespace: /);
    t.same(documents(run.stdout), documents(fs.readFileSync(path.join(MANIFESTS, 'skipped.yaml'), 'utf8')), 'unchanged');
  }
  const injectedOnce = await weft(['inject', '--manual', '--trust-anchors', path.join(t.testdir({ 'ca.crt': anchor.certPem }), 'ca.crt'), WORKLOADS]);
  const twice = await weft(['inject', '-'], injectedOnce.stdout);
  t.match(twice.stderr, /deployment "web" skipped: already_injected/);
  t.same(documents(twice.stdout), documents(injectedOnce.stdout), 'injecting again changes nothing');
});

/** The contract's error form: exit 2, one line `weft: error: …`, nothing on stdout. */
function usageError(t: Test, run: BinRun, pattern: RegExp): void {
  t.equal(run.code, 2, 'exit 2');
  t.equal(run.stdout, '', 'nothing on stdout');
  t.match(run.stderr, /^weft: error: [^\n]+\n$/, 'one error line');
  t.match(run.stderr, pattern);
}

t.test('bad input: a line naming what is wrong and where, exit 2', async (t) => {
  usageError(t, await weft(['inject', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: x\n'), /^weft: error: stdin:\d+:\d+: /);
  const broken = t.testdir({ 'bad.yaml': `${WORKLOADS_TEXT}---\nkind: Pod\n  bad: indent\n` });
  const badLine = WORKLOADS_TEXT.split('\n').length + 1; // `kind: Pod` of the last document, in the whole file's lines
  usageError(t, await weft(['inject', path.join(broken, 'bad.yaml')]), new RegExp(`bad\\.yaml:${badLine}:\\d+: Nested mappings are not allowed`));
  usageError(t, await weft(['inject', '-'], '- just\n- a list\n'), /stdin:1:1: not a Kubernetes object/);
  usageError(t, await weft(['inject', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {}\n'), /pod "x" is not a valid v1 Pod: spec\.containers: /);
  usageError(t, await weft(['inject', '/nonexistent/file.yaml']), /\/nonexistent\/file\.yaml does not exist/);
  usageError(t, await weft(['inject', '--manual', '-'], WORKLOADS_TEXT), /--manual needs a valid mesh config: .*trustAnchorsPem: required/);
  usageError(t, await weft(['inject', '--trust-anchors', 'ca.crt', '-'], WORKLOADS_TEXT), /--trust-anchors applies to --manual only/);
  usageError(t, await weft(['inject', '--manual', '--trust-anchors', WORKLOADS, '-'], WORKLOADS_TEXT), /trustAnchorsPem: holds no certificate/);
  usageError(t, await weft(['uninject']), /missing required argument 'file'/);
});
