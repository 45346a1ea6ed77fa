// The in-cluster route of `weft tap`: the CLI with a user's kubeconfig → the test API server's service proxy
// (which authenticates the user, authorizes `create services/proxy` on weft-tap and names the user to it) → the
// tap role reading pods from the Kubernetes API → a SubjectAccessReview for that user → the pod's proxy at
// podIP:4190. One user may tap deploy/web, another may reach the service but not tap it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { formatHostPort } from '../../common/address';
import { CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICES, ENV, PROXY_VERSION, proxyWorkloadLabel, TAP_API_GROUP } from '../../common/contract';
import type { TapRecord } from '../../common/tap-api';
import { startController } from '../fixtures/controller-process';
import { startEchoServer } from '../fixtures/http-backends';
import { send, waitFor } from '../fixtures/http-client';
import { startTestIdentityService } from '../fixtures/identity';
import { startKubeApiServer } from '../fixtures/kube-api-server';
import { serviceAt, startProxy } from '../fixtures/proxy-process';
import { runBin, startBin } from '../fixtures/run-bin';

const BOOKS = 'books.test.svc.cluster.local:8080';
/** The pod's IP: a loopback address of its own, so its proxy can serve tap on the real port 4190. */
const POD_IP = '127.31.90.2';
const ALICE = { token: 'alice-token', username: 'alice' };
const BOB = { token: 'bob-token', username: 'bob' };
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
  const controller = await startController(t, ['--kubeconfig', kube.kubeconfigFile(dir), '--trust-anchors', anchorsFile, '--identity-svc-addr', identity.address, '--tap-token-file', tokenFile], 'tap');
  const tapPort = controller.tap!.port;
  // The weft-tap Service in front of the controller, as the install makes it.
  kube.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: CONTROL_PLANE_SERVICES.tap.service, namespace: CONTROL_PLANE_NAMESPACE }, spec: { ports: [{ name: 'http', port: 8089 }] } });
  kube.store.create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'weft-tap-1', namespace: CONTROL_PLANE_NAMESPACE, labels: { 'kubernetes.io/service-name': CONTROL_PLANE_SERVICES.tap.service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: tapPort }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  });
  // Both may reach the tap Service through the API server; only alice may tap deployments.
  kube.store.create(rbac('ClusterRole', { name: 'tap-service-proxy' }, { rules: [{ apiGroups: [''], resources: ['services/proxy'], resourceNames: [CONTROL_PLANE_SERVICES.tap.service], verbs: ['create'] }] }));
  kube.store.create(rbac('ClusterRole', { name: 'tapper' }, { rules: [{ apiGroups: [TAP_API_GROUP], resources: ['*'], verbs: ['watch'] }] }));
  for (const user of [ALICE, BOB]) kube.store.create(userBinding(`${user.username}-service-proxy`, 'tap-service-proxy', user.username));
  kube.store.create(userBinding('alice-taps', 'tapper', ALICE.username));
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
  });

  t.test('a user whom RBAC does not let tap is refused with what Kubernetes said', async (t) => {
    const run = await runBin('weft', ['tap', 'deploy/web', '-n', 'test', '--kubeconfig', kubeconfigOf(BOB)]);
    t.equal(run.code, 1);
    t.match(run.stderr, /^weft: error: tap refused \(HTTP 403\): bob may not tap deployment\/web in namespace test: Kubernetes says .*\(needs verb watch on deployments\/tap in API group tap\.weft\.io\)\n$/);
  });

  t.test('a request that does not come through the API server names no user and is refused', async (t) => {
    const res = await fetch(`http://${formatHostPort(controller.tap!)}/tap`, { method: 'POST', body: JSON.stringify({ resource: 'deploy/web', namespace: 'test' }) });
    t.equal(res.status, 401);
    t.match(await res.text(), /^no x-remote-user header/);
  });
});
