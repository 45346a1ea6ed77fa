// Injected pods, really run. A real weft-controller (identity, destination and injector roles) reads the test
// API server; the real kubectl applies two plain pods into an annotated namespace, the API server calls the
// webhook, and test/fixtures/pod-runner.ts runs what it stored, each in a network namespace of its own:
// weft-init's command with the patch's arguments, user and capabilities, then the proxy with the patch's env,
// then the app. The test never writes a container or an env variable of the mesh itself: what runs is the patch.
//   web:    a Deployment-like server; classic sidecar (the proxy first, its postStart `weft-proxy await`).
//   client: a Job's pod; native sidecar (an init container with restartPolicy Always and a startup probe).
// The client app's plain connect() to web's Service address is intercepted and reaches web over mTLS; then the
// client app exits and the runner stops its proxy, which is how the kubelet ends a Job's pod with a native
// sidecar (emulated here: the runner does what the kubelet does, in the same order).
// The control plane's Service addresses (198.18.0.1:8080, :8086) lead to the controller on loopback as
// kube-proxy would (test/fixtures/netns-forward.ts); the mesh config names them, as `weft install` would.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { createIssuer, createTrustAnchor, loadAuthority } from '../../certs';
import { parseHostPort } from '../../common/address';
import {
  CONFIG,
  CONTROLLER_DESTINATION_ADDR,
  CONTROLLER_IDENTITY_ADDR,
  identityName,
  INIT_CONTAINER,
  INJECT,
  INJECTOR_TLS_FILES,
  ISSUER_FILES,
  MESH_CONFIG_KEY,
  MESH_CONFIG_MAP,
  METRIC,
  PROXY_ADMIN_ADDR,
  PROXY_CONTAINER,
  PROXY_UID,
  proxyWorkloadLabel,
} from '../../common/contract';
import { injectorServingCertificate } from '../../injector/serving-certificate';
import { injectorWebhookConfiguration } from '../../injector/webhook-configuration';
import { startController } from '../fixtures/controller-process';
import { startKubeApiServer } from '../fixtures/kube-api-server';
import { commandMissingReason, createNetwork, netnsUnavailableReason } from '../fixtures/netns';
import { forwardFromPod } from '../fixtures/netns-forward';
import { PodRunner, RunningPod } from '../fixtures/pod-runner';
import { metricValue } from '../fixtures/proxy-process';

const KUBECTL = '/usr/bin/kubectl';
const NAMESPACE = 'demo';
/** web's Service address: on the bridge's subnet (so the app has a route to it) but held by no pod. */
const WEB_CLUSTER_IP = '198.18.0.250';
const WEB_PORT = 8080;
const ADMIN_PORT = parseHostPort(PROXY_ADMIN_ADDR)!.port;
const IDENTITY_PORT = parseHostPort(CONTROLLER_IDENTITY_ADDR)!.port;
const DESTINATION_PORT = parseHostPort(CONTROLLER_DESTINATION_ADDR)!.port;

// web's app: answers with its greeting (built by `$(VAR)` expansion from a fieldRef) and what it was asked.
const WEB_APP = `
const [port] = process.argv.slice(1);
require('node:http').createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ greeting: process.env.GREETING, url: req.url, host: req.headers.host }));
}).listen(Number(port), '0.0.0.0');`;

// The client's app: one plain TCP connect() to the Service address, an HTTP request written by hand, the
// answer printed as one JSON line; exits 0 on a 200.
const CLIENT_APP = `
const [host, port] = process.argv.slice(1);
const socket = require('node:net').connect(Number(port), host);
setTimeout(() => { console.error('no answer within 15 s'); process.exit(1); }, 15000).unref();
let text = '';
const done = (status, body) => { console.log('ANSWER ' + JSON.stringify({ status, body })); process.exit(status === 200 ? 0 : 1); };
socket.setEncoding('utf8');
socket.on('connect', () => socket.write('GET /hello HTTP/1.1\\r\\nHost: ' + host + ':' + port + '\\r\\nConnection: close\\r\\n\\r\\n'));
socket.on('data', (chunk) => {
  text += chunk;
  const end = text.indexOf('\\r\\n\\r\\n');
  if (end < 0) return;
  const status = Number(text.split(' ')[1]);
  const length = /\\r\\ncontent-length: *(\\d+)/i.exec(text.slice(0, end));
  const body = text.slice(end + 4);
  if (length && Buffer.byteLength(body) >= Number(length[1])) done(status, body);
});
socket.on('end', () => done(Number(text.split(' ')[1]), text.slice(text.indexOf('\\r\\n\\r\\n') + 4)));
socket.on('error', (err) => { console.error('connect failed: ' + err.code); process.exit(1); });`;

const podEnvFromName = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };

const MANIFESTS = [
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: NAMESPACE },
    spec: { clusterIP: WEB_CLUSTER_IP, selector: { app: 'web' }, ports: [{ name: 'http', port: WEB_PORT, targetPort: 'http' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    // Classic sidecar on purpose: the API server here is 1.32, where the injector would choose a native one.
    metadata: { name: 'web', namespace: NAMESPACE, labels: { app: 'web' }, annotations: { [CONFIG.proxyEnableNativeSidecar]: 'false' } },
    spec: {
      serviceAccountName: 'web',
      containers: [{
        name: 'app',
        image: 'node:20-slim',
        command: ['node', '-e', WEB_APP, '$(LISTEN_PORT)'],
        env: [podEnvFromName, { name: 'GREETING', value: 'hello from $(POD_NAME)' }, { name: 'LISTEN_PORT', value: String(WEB_PORT) }],
        ports: [{ name: 'http', containerPort: WEB_PORT }],
      }],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'client',
      namespace: NAMESPACE,
      labels: { 'job-name': 'client' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'client', uid: '6c1e5a7e-0000-4000-8000-000000000001', controller: true }],
    },
    spec: {
      serviceAccountName: 'client',
      restartPolicy: 'Never',
      containers: [{ name: 'app', image: 'node:20-slim', command: ['node', '-e', CLIENT_APP, WEB_CLUSTER_IP, String(WEB_PORT)] }],
    },
  },
];

async function unavailableReason(): Promise<string | undefined> {
  for (const check of [
    netnsUnavailableReason,
    () => commandMissingReason('iptables'),
    () => commandMissingReason('setpriv'),
    () => commandMissingReason('unshare'),
    () => commandMissingReason('curl'),
    () => commandMissingReason(KUBECTL, ['version', '--client']),
  ]) {
    const reason = await check();
    if (reason) return reason;
  }
  return undefined;
}

function kubectl(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: path.join(dir, 'kubeconfig') };
  return new Promise((resolve) => {
    execFile(KUBECTL, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Uid, capability sets and NoNewPrivs of a process, as the kernel reports them. */
function processStatus(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(Uid|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):\s+(\S+)/.exec(line);
    if (m) fields[m[1]] = m[2];
  }
  return fields;
}
/** CAP_NET_ADMIN (12) and CAP_NET_RAW (13). */
const NET_ADMIN_AND_RAW = '0000000000003000';
const NO_CAPABILITIES = '0000000000000000';

const allContainers = (pod: IPod) => [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
const containerOf = (pod: IPod, name: string) => allContainers(pod).find((c) => c.name === name)!;

async function metricsOf(pod: RunningPod): Promise<string> {
  const result = await pod.netns.run('curl', ['-s', '-m', '5', `http://${pod.ip}:${ADMIN_PORT}/metrics`]);
  return result.stdout;
}

t.test('two pods injected through the API server, run from what it stored, talk over mTLS', async (t) => {
  const skip = await unavailableReason();
  if (skip) return t.plan(0, skip);
  const dir = t.testdir();
  const kube = await startKubeApiServer({ namespaces: ['default', 'kube-system', 'kube-public', 'weft'] });
  t.teardown(() => kube.close());
  const network = await createNetwork(t);
  const controlPlane = await network.addPod();

  // What `weft install` would set up: the issuer, the trust anchors, the injector's certificate, the mesh config.
  const anchor = createTrustAnchor();
  const issuer = createIssuer({ anchor: loadAuthority(anchor) });
  const issuerDir = path.join(dir, 'issuer');
  const injectorTls = path.join(dir, 'injector-tls');
  fs.mkdirSync(issuerDir);
  fs.mkdirSync(injectorTls);
  fs.writeFileSync(path.join(issuerDir, ISSUER_FILES.cert), issuer.certPem);
  fs.writeFileSync(path.join(issuerDir, ISSUER_FILES.key), issuer.keyPem);
  fs.writeFileSync(path.join(dir, 'ca.crt'), anchor.certPem);
  const serving = injectorServingCertificate();
  fs.writeFileSync(path.join(injectorTls, INJECTOR_TLS_FILES.cert), serving.certPem);
  fs.writeFileSync(path.join(injectorTls, INJECTOR_TLS_FILES.key), serving.keyPem);
  fs.writeFileSync(path.join(dir, 'destination.token'), kube.tokens.issue({ namespace: 'weft', serviceAccount: 'weft-destination' }));
  const meshConfig = { trustAnchorsPem: anchor.certPem, identity: { addr: `${controlPlane.ip}:${IDENTITY_PORT}` }, destination: { addr: `${controlPlane.ip}:${DESTINATION_PORT}` } };
  kube.store.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: MESH_CONFIG_MAP, namespace: 'weft' }, data: { [MESH_CONFIG_KEY]: YAML.stringify(meshConfig) } });

  const controller = await startController(t, [
    ...['--kubeconfig', kube.kubeconfigFile(dir), '--issuer-dir', issuerDir, '--trust-anchors', path.join(dir, 'ca.crt'), '--identity-addr', '127.0.0.1:0'],
    ...['--identity-token-file', path.join(dir, 'destination.token'), '--injector-addr', '127.0.0.1:0', '--injector-tls-dir', injectorTls],
  ], 'all');
  await forwardFromPod(t, controlPlane, [
    { port: IDENTITY_PORT, target: controller.identity! },
    { port: DESTINATION_PORT, target: controller.destination! },
  ]);
  kube.store.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'weft-proxy-injector', namespace: 'weft' }, spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] } });
  kube.store.apply({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'weft-proxy-injector-1', namespace: 'weft', labels: { 'kubernetes.io/service-name': 'weft-proxy-injector' } },
    addressType: 'IPv4',
    ports: [{ name: 'https', port: controller.injector!.port, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  });
  kube.store.apply(injectorWebhookConfiguration({ caBundlePem: serving.caPem }));
  kube.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, annotations: { [INJECT]: 'enabled' } } });

  const manifest = path.join(dir, 'pods.yaml');
  fs.writeFileSync(manifest, MANIFESTS.map((m) => YAML.stringify(m)).join('---\n'));
  const applied = await kubectl(dir, ['apply', '-f', manifest]);
  t.equal(applied.code, 0, `kubectl apply: ${applied.stderr}`);
  const stored = (name: string) => kube.store.get('Pod', name, NAMESPACE) as unknown as IPod;
  t.same(stored('web').spec!.containers.map((c) => c.name), [PROXY_CONTAINER, 'app'], 'web: the webhook put the proxy first (classic sidecar)');
  t.same(stored('client').spec!.initContainers!.map((c) => [c.name, c.restartPolicy]), [[INIT_CONTAINER, undefined], [PROXY_CONTAINER, 'Always']], 'client: weft-init, then the proxy as a native sidecar');

  const runner = new PodRunner(t, kube, network);
  const web = await runner.run(NAMESPACE, 'web');
  // The client starts while web is looked at: web is Ready and in its Service's EndpointSlice already.
  const starting = runner.run(NAMESPACE, 'client');
  starting.catch(() => undefined);

  t.test("weft-init ran the patch's command as root with exactly NET_ADMIN and NET_RAW, which it needs", async (t) => {
    const patched = containerOf(web.stored(), INIT_CONTAINER);
    const init = web.containers.get(INIT_CONTAINER)!;
    t.equal(init.exitCode, 0, `weft-init succeeded: ${init.logs()}`);
    t.same(init.argv, [...patched.command!, ...patched.args!], "the patch's command and arguments, as written");
    t.match(patched.securityContext, { runAsUser: 0, capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] }, allowPrivilegeEscalation: false }, 'what the patch says');
    t.same({ uid: init.security.uid, capabilities: init.security.capabilities }, { uid: 0, capabilities: ['NET_ADMIN', 'NET_RAW'] }, 'what the runner applied');
    const inside = processStatus((await web.exec(INIT_CONTAINER, ['cat', '/proc/self/status'])).stdout);
    t.same(inside, { Uid: '0', CapPrm: NET_ADMIN_AND_RAW, CapEff: NET_ADMIN_AND_RAW, CapBnd: NET_ADMIN_AND_RAW, CapAmb: NO_CAPABILITIES, NoNewPrivs: '1' }, 'what the kernel gave the container');
    const rules = await web.netns.run('iptables', ['-t', 'nat', '-S']);
    t.match(rules.stdout, new RegExp(`--uid-owner ${PROXY_UID} .*-j RETURN`), 'its rules are in the pod');

    const [withoutNetAdmin, asNobody] = await Promise.all([
      web.runWith(INIT_CONTAINER, { ...init.security, capabilities: ['NET_RAW'] }),
      web.runWith(INIT_CONTAINER, { ...init.security, uid: 65534, gid: 65534 }),
    ]);
    t.match(withoutNetAdmin, { code: 1, stderr: /Permission denied/ }, 'without NET_ADMIN it cannot');
    t.match(asNobody, { code: 1, stderr: /Permission denied/ }, "nor as a non-root user: Kubernetes' added capabilities do not survive its exec");
  });

  t.test("the proxy runs as UID 2102 without capabilities, with exactly the patch's env, fieldRefs resolved", async (t) => {
    const proxy = web.containers.get(PROXY_CONTAINER)!;
    const status = processStatus(fs.readFileSync(`/proc/${proxy.pid}/status`, 'utf8'));
    t.same([status.Uid, status.CapEff, status.CapBnd, status.NoNewPrivs], [String(PROXY_UID), NO_CAPABILITIES, NO_CAPABILITIES, '1']);
    const environ = fs.readFileSync(`/proc/${proxy.pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const patchedNames = containerOf(web.stored(), PROXY_CONTAINER).env!.map((e) => e.name);
    t.same(environ.map((kv) => kv.slice(0, kv.indexOf('='))).sort(), ['PATH', 'HOSTNAME', ...patchedNames].sort(), 'the patch\'s variables, and only PATH and HOSTNAME besides');
    const env = Object.fromEntries(environ.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    t.match(env, {
      _pod_name: 'web',
      _pod_ns: NAMESPACE,
      _pod_ip: web.ip,
      _pod_sa: 'web',
      WEFT_PROXY_IDENTITY_LOCAL_NAME: identityName('web', NAMESPACE),
      WEFT_PROXY_DESTINATION_CONTEXT: JSON.stringify({ ns: NAMESPACE, nodeName: web.stored().spec!.nodeName, pod: 'web' }),
    });
    // mountinfo: "id parent dev root mountpoint options …"; /var/run is /run here.
    const mounts = new Map(fs.readFileSync(`/proc/${proxy.pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((l) => [l.split(' ')[4], l.split(' ')[5]]));
    t.match(mounts.get('/'), /^ro\b/, 'its root filesystem is read-only (readOnlyRootFilesystem), and it runs');
    for (const m of containerOf(web.stored(), PROXY_CONTAINER).volumeMounts!) {
      t.match(mounts.get(fs.realpathSync('/var/run') + m.mountPath.slice('/var/run'.length)), m.readOnly ? /^ro\b/ : /^rw\b/, `volume ${m.name} is at ${m.mountPath}`);
    }
    const app = web.containers.get('app')!;
    t.ok(app.startedAt! >= proxy.startedUpAt!, "the app started only after the proxy's postStart `weft-proxy await` returned");
  });

  const client = await starting;
  let timer: NodeJS.Timeout | undefined;
  const phase = await Promise.race([client.completed, new Promise((resolve) => (timer = setTimeout(() => resolve('still running after 30 s'), 30_000)))]);
  clearTimeout(timer);

  t.test("the client's plain connect() to web's Service address reached web through both proxies", async (t) => {
    const app = client.containers.get('app')!;
    const line = app.logs().split('\n').find((l) => l.startsWith('ANSWER '));
    t.ok(line, `the client printed an answer: ${app.logs()}`);
    const answer = JSON.parse(line!.slice('ANSWER '.length)) as { status: number; body: string };
    t.equal(answer.status, 200);
    t.same(JSON.parse(answer.body), { greeting: 'hello from web', url: '/hello', host: `${WEB_CLUSTER_IP}:${WEB_PORT}` });
    t.ok(client.containers.get('app')!.startedAt! >= client.containers.get(PROXY_CONTAINER)!.startedUpAt!, "the app started after the native sidecar's startup probe passed");
  });

  t.test("over mTLS: web's proxy counted the request as from the client's identity", async (t) => {
    const metrics = await metricsOf(web);
    const labels = { direction: 'inbound', tls: 'true', client_id: identityName('client', NAMESPACE) };
    t.equal(metricValue(metrics, METRIC.requestTotal, labels), 1, `request_total ${JSON.stringify(labels)}`);
  });

  t.test("the Job's pod completes: its native sidecar is stopped after the app exits", async (t) => {
    t.equal(phase, 'Succeeded');
    const app = client.containers.get('app')!;
    const proxy = client.containers.get(PROXY_CONTAINER)!;
    t.equal(app.exitCode, 0, 'the app succeeded');
    t.ok(proxy.stopRequestedAt! >= app.exitedAt!, 'the proxy was told to stop once the app had exited');
    t.ok(proxy.exitedAt !== undefined, `and it exited (${proxy.exitCode})`);
    t.equal(client.stored().status?.phase, 'Succeeded', 'the pod is Succeeded in the API');
    t.equal(stored('client').metadata?.labels?.[proxyWorkloadLabel('job')], 'client', 'labelled with its Job by the webhook');
  });
});
