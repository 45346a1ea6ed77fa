// The in-cluster route of `weft tap`: the CLI with a user's kubeconfig → the test API server's aggregation layer
// (which authenticates the user, authorizes `watch deployments/tap` in tap.weft.io and calls weft-tap over TLS
// with its front-proxy certificate, naming the user) → the tap role's aggregated API, which believes the name only
// from that certificate, reads pods from the Kubernetes API and asks a SubjectAccessReview for that user → the
// pod's proxy at podIP:4190. One user may tap deploy/web, another may not; whoever skips the aggregator (straight
// to tap's port, or through the plain service proxy) with a forged X-Remote-User is nobody.
import { ROLE_RBAC } from '../../cli/install/rbac';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { serviceServingCertificate } from '../../certs';
import {
  CONTROL_PLANE_NAMESPACE,
  CONTROL_PLANE_SERVICES,
  ENV,
  PROXY_VERSION,
  proxyWorkloadLabel,
  TAP_API_GROUP,
  TAP_API_PREFIX,
  TAP_API_SERVICE,
  TAP_API_VERSION,
  TAP_SERVICE_PORT,
} from '../../common/contract';
import type { TapRecord } from '../../common/tap-api';
import { startController } from '../fixtures/controller-process';
import { startEchoServer } from '../fixtures/http-backends';
import { send, waitFor } from '../fixtures/http-client';
import { startTestIdentityService } from '../fixtures/identity';
import { startKubeApiServer } from '../fixtures/kube-api-server';
import { createFrontProxyIdentity, frontProxyClient } from '../fixtures/kube/front-proxy';
import { serviceAt, startProxy } from '../fixtures/proxy-process';
import { runBin, startBin } from '../fixtures/run-bin';

const BOOKS = 'books.test.svc.cluster.local:8080';
/** The pod's IP: a loopback address of its own, so its proxy can serve tap on the real port 4190. */
const POD_IP = '127.31.90.2';
const ALICE = { token: 'alice-token', username: 'alice' };
const BOB = { token: 'bob-token', username: 'bob' };
const WATCH_WEB = `${TAP_API_PREFIX}/watch/namespaces/test/deployments/web/tap`;
const QUERY = JSON.stringify({ resource: 'deploy/web', namespace: 'test' });
const rbac = (kind: string, metadata: object, rest: object) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata, ...rest });
const userBinding = (name: string, role: string, user: string) =>
  rbac('ClusterRoleBinding', { name }, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }] });

t.test('weft tap through the Kubernetes API', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-tap-kube-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const kube = await startKubeApiServer({ authorization: 'RBAC', namespaces: ['default', 'test', CONTROL_PLANE_NAMESPACE], users: { [ALICE.token]: { username: ALICE.username }, [BOB.token]: { username: BOB.username } } });
  t.teardown(() => kube.close());
  const identity = await startTestIdentityService(t);
  const app = await startEchoServer(t);
  const web = await startProxy(t, { identity: identity.proxyEnv('web'), services: [serviceAt(BOOKS, app.addr)], env: { [ENV.tapListenAddr]: `${POD_IP}:4190` } });
  kube.store.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'test', labels: { [proxyWorkloadLabel('deployment')]: 'web' }, annotations: { [PROXY_VERSION]: 'test' } },
    spec: { serviceAccountName: 'web', containers: [{ name: 'app', image: 'web' }] },
    status: { podIP: POD_IP, phase: 'Running' },
  });

  const tokenFile = path.join(dir, 'tap.token');
  fs.writeFileSync(tokenFile, identity.tokens.mint({ serviceAccount: CONTROL_PLANE_SERVICES.tap.serviceAccount, namespace: CONTROL_PLANE_NAMESPACE }));
  const anchorsFile = path.join(dir, 'ca.crt');
  fs.writeFileSync(anchorsFile, identity.anchor.certPem);
  // tap's serving certificate, as install makes it: a Secret mounted as files, its CA the APIService's caBundle.
  const serving = serviceServingCertificate({ service: CONTROL_PLANE_SERVICES.tap.service, namespace: CONTROL_PLANE_NAMESPACE });
  const tlsDir = path.join(dir, 'tap-tls');
  fs.mkdirSync(tlsDir);
  fs.writeFileSync(path.join(tlsDir, 'tls.crt'), serving.certPem);
  fs.writeFileSync(path.join(tlsDir, 'tls.key'), serving.keyPem);
  // tap runs as its service account: RBAC as install grants it (here by binding the role install renders).
  const tapSa = { token: 'tap-sa-token', username: `system:serviceaccount:${CONTROL_PLANE_NAMESPACE}:${CONTROL_PLANE_SERVICES.tap.serviceAccount}` };
  kube.addUser(tapSa.token, { username: tapSa.username });
  kube.store.create(rbac('ClusterRole', { name: 'weft-tap' }, { rules: ROLE_RBAC.tap.clusterRules }));
  kube.store.create(userBinding('weft-tap', 'weft-tap', tapSa.username));
  kube.store.create(rbac('RoleBinding', { name: 'weft-tap-auth-reader', namespace: 'kube-system' }, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' }, subjects: [{ kind: 'User', name: tapSa.username, apiGroup: 'rbac.authorization.k8s.io' }] }));
  const controller = await startController(t, ['--kubeconfig', kube.kubeconfigFile(fs.mkdtempSync(path.join(dir, 'tap-')), undefined, tapSa.token), '--trust-anchors', anchorsFile, '--identity-svc-addr', identity.address, '--tap-token-file', tokenFile, '--tap-tls-dir', tlsDir], 'tap');
  const tapPort = controller.tap!.port;
  // The weft-tap Service in front of the controller and the APIService, as the install makes them.
  kube.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: CONTROL_PLANE_SERVICES.tap.service, namespace: CONTROL_PLANE_NAMESPACE }, spec: { ports: [{ name: 'https', port: TAP_SERVICE_PORT }] } });
  kube.store.create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'weft-tap-1', namespace: CONTROL_PLANE_NAMESPACE, labels: { 'kubernetes.io/service-name': CONTROL_PLANE_SERVICES.tap.service } },
    addressType: 'IPv4',
    ports: [{ name: 'https', port: tapPort }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  });
  kube.store.create({
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: TAP_API_SERVICE },
    spec: { group: TAP_API_GROUP, version: TAP_API_VERSION, service: { name: CONTROL_PLANE_SERVICES.tap.service, namespace: CONTROL_PLANE_NAMESPACE, port: TAP_SERVICE_PORT }, caBundle: Buffer.from(serving.caPem).toString('base64'), groupPriorityMinimum: 1000, versionPriority: 100 },
  });
  // Only alice may tap deployments; both may reach the tap Service through the plain service proxy.
  kube.store.create(rbac('ClusterRole', { name: 'tapper' }, { rules: [{ apiGroups: [TAP_API_GROUP], resources: ['*'], verbs: ['watch'] }] }));
  kube.store.create(userBinding('alice-taps', 'tapper', ALICE.username));
  kube.store.create(rbac('ClusterRole', { name: 'tap-service-proxy' }, { rules: [{ apiGroups: [''], resources: ['services/proxy'], resourceNames: [CONTROL_PLANE_SERVICES.tap.service], verbs: ['create'] }] }));
  for (const user of [ALICE, BOB]) kube.store.create(userBinding(`${user.username}-service-proxy`, 'tap-service-proxy', user.username));

  /** A request straight to tap's port, as anyone on the network could make it. */
  const direct = (headers: Record<string, string>, client?: { certPem: string; keyPem: string }) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: tapPort, method: 'POST', path: WATCH_WEB, servername: `${CONTROL_PLANE_SERVICES.tap.service}.${CONTROL_PLANE_NAMESPACE}.svc`, ca: serving.caPem, headers, ...(client ? { cert: client.certPem, key: client.keyPem } : {}), agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(QUERY);
    });
  /** A request through the test API server as `token`'s user. */
  const viaApiServer = (apiPath: string, token: string, headers: Record<string, string> = {}) =>
    fetch(`${kube.url}${apiPath}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: QUERY });

  await waitFor('the APIService Available', () => {
    const conditions = (kube.store.get('APIService', TAP_API_SERVICE, '').status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions;
    return conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
  }, 30_000, 100);
  const kubeconfigOf = (user: { token: string; username: string }) => kube.kubeconfigFile(fs.mkdtempSync(path.join(dir, `${user.username}-`)), undefined, user.token);

  t.test('a user whom RBAC lets tap gets the events of the pod\'s proxy', async (t) => {
    const tap = startBin('weft', ['tap', 'deploy/web', '-n', 'test', '-o', 'json', '--kubeconfig', kubeconfigOf(ALICE)], { timeoutMs: 60_000 });
    t.teardown(() => tap.kill('SIGKILL'));
    await waitFor('an event through the API server', async () => {
      if (tap.exited()) throw new Error(`weft tap exited: ${tap.stderr()}`);
      await send(web.outbound, { authority: BOOKS, path: '/via-kube' });
      return tap.stdout().includes('\n');
    }, 40_000, 200);
    tap.kill('SIGINT');
    const { code, stdout } = await tap.done;
    t.equal(code, 0);
    const event = JSON.parse(stdout.split('\n')[0]) as TapRecord;
    t.match(event, { namespace: 'test', pod: 'web-0', direction: 'outbound', authority: BOOKS, path: '/via-kube', status: 200 });
    t.match(controller.logs(), /"user":"alice".*"tap started"/, 'tap knows who is tapping');
    t.ok(kube.requests.some((r) => r.method === 'POST' && r.path === WATCH_WEB), 'weft tap called the aggregated path');
  });

  t.test('a forged X-Remote-User sent through the aggregator is replaced by the user it authenticated', async (t) => {
    // The API server lets bob `watch` resource "tap" in namespace test (what the namespace path reads as), so the
    // request reaches tap; tap's own review asks for namespaces/tap, which only alice has. Had tap believed the
    // forged header, alice's RBAC would have let it stream.
    kube.store.create(rbac('Role', { name: 'bob-ns-tap', namespace: 'test' }, { rules: [{ apiGroups: [TAP_API_GROUP], resources: ['tap'], verbs: ['watch'] }] }));
    kube.store.create(rbac('RoleBinding', { name: 'bob-ns-tap', namespace: 'test' }, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'bob-ns-tap' }, subjects: [{ kind: 'User', name: BOB.username, apiGroup: 'rbac.authorization.k8s.io' }] }));
    const res = await viaApiServer(`${TAP_API_PREFIX}/watch/namespaces/test/tap`, BOB.token, { 'x-remote-user': ALICE.username, 'x-remote-group': 'system:masters' });
    t.equal(res.status, 403, 'bob stays bob');
    t.match(await res.text(), /^bob may not tap namespace\/test: Kubernetes says .*\(needs verb watch on namespaces\/tap in API group tap\.weft\.io\)/);
  });

  t.test('a user whom RBAC does not let tap is refused (403) with what Kubernetes said', async (t) => {
    const run = await runBin('weft', ['tap', 'deploy/web', '-n', 'test', '--kubeconfig', kubeconfigOf(BOB)]);
    t.equal(run.code, 1);
    t.equal(run.stderr, 'weft: error: tap refused (HTTP 403): deployments.tap.weft.io "web" is forbidden: User "bob" cannot watch resource "deployments/tap" in API group "tap.weft.io" in the namespace "test"\n');
  });

  t.test('straight to tap\'s port with a forged X-Remote-User and no client certificate: 401', async (t) => {
    const res = await direct({ 'x-remote-user': ALICE.username, 'content-type': 'application/json' });
    t.equal(res.status, 401);
    t.match(res.body, /^no client certificate: tap serves people through the Kubernetes API server's aggregation layer/);
  });

  t.test('with a client certificate from another CA (even with the front proxy\'s CN): 401', async (t) => {
    const res = await direct({ 'x-remote-user': ALICE.username }, createFrontProxyIdentity());
    t.equal(res.status, 401);
    t.match(res.body, /^the client certificate CN=front-proxy-client is not signed by the requestheader CA of ConfigMap kube-system\/extension-apiserver-authentication/);
  });

  t.test('with a client certificate from the requestheader CA but a CN outside requestheader-allowed-names: 401', async (t) => {
    const res = await direct({ 'x-remote-user': ALICE.username }, frontProxyClient(kube.aggregator.identity.authority, 'some-other-client'));
    t.equal(res.status, 401);
    t.match(res.body, /^the client certificate CN=some-other-client is not one of requestheader-allowed-names \(front-proxy-client\)/);
  });

  t.test('through the plain service proxy, which names nobody, a forged X-Remote-User: 401', async (t) => {
    const res = await viaApiServer(`/api/v1/namespaces/${CONTROL_PLANE_NAMESPACE}/services/https:${CONTROL_PLANE_SERVICES.tap.service}:${TAP_SERVICE_PORT}/proxy${WATCH_WEB}`, BOB.token, { 'x-remote-user': ALICE.username });
    t.equal(res.status, 401);
    t.match(await res.text(), /^no client certificate/, 'the API server passed the header on, and tap believed none of it');
  });
});
