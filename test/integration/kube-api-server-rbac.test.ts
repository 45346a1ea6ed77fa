// The test API server's users and RBAC, driven by real clients: kubectl (`get`, `auth can-i`, which asks
// SelfSubjectAccessReview) and @kubernetes/client-node. Users are named by bearer token; the stored Roles,
// ClusterRoles and bindings decide; a denial is kube-apiserver's 403 Status.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { apiError } from '../fixtures/kube/api-error';
import { AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ADMIN_TOKEN, API_SERVER_AUDIENCE, startKubeApiServer, type KubeApiServerOptions } from '../fixtures/kube-api-server';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

const JANE = 'token-of-jane';
const OPS = 'token-of-ops';

async function harness(t: Test, options: KubeApiServerOptions = {}) {
  const kube = await startKubeApiServer({
    authorization: 'RBAC',
    tls: true, // kubectl sends a kubeconfig's token only over TLS
    users: { [JANE]: { username: 'jane' }, [OPS]: { username: 'olga', groups: ['ops'] } },
    ...options,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-rbac-'));
  t.teardown(async () => {
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  kube.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
  const clientAs = (token: string) => {
    const sub = fs.mkdtempSync(path.join(dir, 'user-'));
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfigFile(sub, 'demo', token));
    return kc;
  };
  const kubectl = async (token: string, ...args: string[]) => {
    const env = { ...process.env, KUBECONFIG: kube.kubeconfigFile(fs.mkdtempSync(path.join(dir, 'kubectl-')), 'demo', token), HOME: dir };
    try {
      const { stdout } = await run(KUBECTL, args, { env, timeout: 20_000 });
      return { code: 0, stdout, stderr: '' };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  return { kube, dir, clientAs, kubectl };
}

const podReader = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'pod-reader' },
  rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
};

t.test('a user without bindings is refused with the 403 Status kube-apiserver sends; the admin passes', async (t) => {
  const h = await harness(t);
  const jane = h.clientAs(JANE).makeApiClient(CoreV1Api);
  const refused = await apiError(jane.listNamespacedPod({ namespace: 'demo' }));
  t.match(refused, {
    code: 403,
    body: {
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "demo"',
      details: { kind: 'pods' },
    },
  });
  const named = await apiError(jane.readNamespace({ name: 'demo' }));
  t.match(named.body, { message: 'namespaces "demo" is forbidden: User "jane" cannot get resource "namespaces" in API group "" at the cluster scope', details: { name: 'demo', kind: 'namespaces' } });
  const admin = h.clientAs(ADMIN_TOKEN).makeApiClient(CoreV1Api);
  t.equal((await admin.listNamespacedPod({ namespace: 'demo' })).items.length, 0, 'system:masters may do anything');

  const unknown = await apiError(h.clientAs('nobody-knows-this').makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'demo' }));
  t.equal(unknown.code, 401, 'an unknown token is 401');

  const kubectl = await h.kubectl(JANE, 'get', 'pods', '-n', 'demo');
  t.equal(kubectl.code, 1);
  t.match(kubectl.stderr, /Error from server \(Forbidden\): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "demo"/);
});

t.test('RoleBinding to a ClusterRole grants within its namespace; ClusterRoleBinding to a group everywhere', async (t) => {
  const h = await harness(t);
  h.kube.store.create(podReader);
  h.kube.store.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'jane-reads', namespace: 'demo' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-reader' },
    subjects: [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }],
  });
  const jane = h.clientAs(JANE).makeApiClient(CoreV1Api);
  t.equal((await jane.listNamespacedPod({ namespace: 'demo' })).items.length, 0, 'jane lists pods in demo');
  t.equal((await apiError(jane.listNamespacedPod({ namespace: 'default' }))).code, 403, 'not in default');
  t.equal((await apiError(jane.listPodForAllNamespaces())).code, 403, 'not across namespaces');
  t.equal((await apiError(jane.createNamespacedPod({ namespace: 'demo', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x' }] } } }))).code, 403, 'no create');

  h.kube.store.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cm-one' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['weft-config'], verbs: ['get'] }],
  });
  h.kube.store.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'ops-cm' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cm-one' },
    subjects: [{ kind: 'Group', name: 'ops', apiGroup: 'rbac.authorization.k8s.io' }],
  });
  h.kube.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'weft-config', namespace: 'default' } });
  h.kube.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'default' } });
  const olga = h.clientAs(OPS).makeApiClient(CoreV1Api);
  t.equal((await olga.readNamespacedConfigMap({ namespace: 'default', name: 'weft-config' })).metadata?.name, 'weft-config', 'by group, in any namespace');
  t.equal((await apiError(olga.readNamespacedConfigMap({ namespace: 'default', name: 'other' }))).code, 403, 'resourceNames limit the rule');

  h.kube.store.delete('RoleBinding', 'jane-reads', 'demo');
  t.equal((await apiError(jane.listNamespacedPod({ namespace: 'demo' }))).code, 403, 'a deleted binding grants nothing from the next request on');
});

t.test('a service account authenticates with its token for the API server audience and is bound as ServiceAccount', async (t) => {
  const h = await harness(t);
  const token = h.kube.tokens.issue({ namespace: 'weft', serviceAccount: 'weft-identity', audiences: [API_SERVER_AUDIENCE] });
  const identityOnly = h.kube.tokens.issue({ namespace: 'weft', serviceAccount: 'weft-identity' });
  h.kube.store.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'weft-identity' },
    rules: [{ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] }],
  });
  h.kube.store.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'weft-identity' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'weft-identity' },
    subjects: [{ kind: 'ServiceAccount', name: 'weft-identity', namespace: 'weft' }],
  });
  const can = async (kc: KubeConfig, resource: string, verb: string, group = '') =>
    (await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { group, resource, verb } } } })).status;
  t.match(await can(h.clientAs(token), 'tokenreviews', 'create', 'authentication.k8s.io'), {
    allowed: true,
    reason: 'RBAC: allowed by ClusterRoleBinding "weft-identity" of ClusterRole "weft-identity" to ServiceAccount "weft/weft-identity"',
  });
  t.match(await can(h.clientAs(token), 'secrets', 'list'), { allowed: false });
  t.equal((await apiError(h.clientAs(identityOnly).makeApiClient(CoreV1Api).listNamespace())).code, 401, 'a token for another audience does not log in');
});

t.test('SubjectAccessReview asks about another user; it takes create on subjectaccessreviews', async (t) => {
  const h = await harness(t);
  h.kube.store.create(podReader);
  h.kube.store.create({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'ops-pods' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-reader' },
    subjects: [{ kind: 'Group', name: 'ops', apiGroup: 'rbac.authorization.k8s.io' }],
  });
  const review = (user: string, groups: string[], verb: string) => ({
    spec: { user, groups, resourceAttributes: { namespace: 'demo', verb, resource: 'pods' } },
  });
  const admin = h.clientAs(ADMIN_TOKEN).makeApiClient(AuthorizationV1Api);
  const allowed = await admin.createSubjectAccessReview({ body: review('olga', ['ops'], 'watch') });
  t.match(allowed.status, { allowed: true, reason: /ClusterRoleBinding "ops-pods" of ClusterRole "pod-reader" to Group "ops"/ });
  t.match((await admin.createSubjectAccessReview({ body: review('olga', ['ops'], 'delete') })).status, { allowed: false });
  t.match((await admin.createSubjectAccessReview({ body: review('jane', [], 'get') })).status, { allowed: false });
  const nonResource = await admin.createSubjectAccessReview({ body: { spec: { user: 'jane', groups: ['system:authenticated'], nonResourceAttributes: { path: '/version', verb: 'get' } } } });
  t.match(nonResource.status, { allowed: true }, 'discovery is open to every user (bootstrap policy)');
  const bad = await apiError(admin.createSubjectAccessReview({ body: { spec: { user: 'jane' } } }));
  t.match(bad, { code: 400, body: { message: /exactly one of spec.resourceAttributes and spec.nonResourceAttributes/ } });

  const byJane = await apiError(h.clientAs(JANE).makeApiClient(AuthorizationV1Api).createSubjectAccessReview({ body: review('olga', ['ops'], 'get') }));
  t.match(byJane, { code: 403, body: { message: /subjectaccessreviews.authorization.k8s.io is forbidden: User "jane" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io"/ } });
});

t.test('kubectl as a given user: a Role and RoleBinding it applies as admin let that user create (over TLS)', async (t) => {
  const h = await harness(t);
  const manifest = path.join(h.dir, 'rbac.yaml');
  fs.writeFileSync(manifest, [
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: cm-writer, namespace: demo}\nrules:\n- {apiGroups: [""], resources: [configmaps], verbs: [create, get]}',
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: jane-writes, namespace: demo}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-writer}\nsubjects:\n- {kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}',
  ].join('\n---\n'));
  const cm = path.join(h.dir, 'cm.yaml');
  fs.writeFileSync(cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes, namespace: demo}\ndata: {a: b}\n');
  const before = await h.kubectl(JANE, 'create', '-f', cm);
  t.equal(before.code, 1);
  t.match(before.stderr, /configmaps is forbidden: User "jane" cannot create resource "configmaps" in API group "" in the namespace "demo"/);
  const applied = await h.kubectl(ADMIN_TOKEN, 'apply', '-f', manifest);
  t.equal(applied.code, 0, applied.stderr);
  const after = await h.kubectl(JANE, 'create', '-f', cm);
  t.equal(after.code, 0, after.stderr);
  t.match(after.stdout, /configmap\/notes created/);
  t.equal((await h.kubectl(JANE, 'delete', '-f', cm)).code, 1, 'the Role does not grant delete');
});

t.test('AlwaysAllow (the default) lets everyone do everything; Date runs with the set skew; /version is settable', async (t) => {
  const h = await harness(t, { authorization: 'AlwaysAllow', tls: false });
  const jane = h.clientAs(JANE).makeApiClient(CoreV1Api);
  t.equal((await jane.listNamespacedPod({ namespace: 'demo' })).items.length, 0);
  t.match(
    (await h.clientAs(JANE).makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb: 'delete', resource: 'nodes' } } } })).status,
    { allowed: true },
  );
  h.kube.setAuthorization('RBAC');
  t.equal((await apiError(jane.listNamespacedPod({ namespace: 'demo' }))).code, 403, 'switched to RBAC');

  h.kube.setClockSkew(-3_600_000);
  const response = await fetch(`${h.kube.url}/version`);
  const serverTime = Date.parse(response.headers.get('date') ?? '');
  t.ok(Math.abs(serverTime + 3_600_000 - Date.now()) < 5_000, `the Date header runs an hour behind (${response.headers.get('date')})`);
  h.kube.setVersion({ major: '1', minor: '20', gitVersion: 'v1.20.4' });
  t.match(await response.json(), { gitVersion: 'v1.32.0-weft-test' });
  t.match(await (await fetch(`${h.kube.url}/version`)).json(), { major: '1', minor: '20', gitVersion: 'v1.20.4' });
  const kubectl = await h.kubectl(JANE, 'version', '-o', 'json');
  t.match(JSON.parse(kubectl.stdout), { serverVersion: { gitVersion: 'v1.20.4' } }, 'kubectl reads the set version (discovery is open to every user)');
});
