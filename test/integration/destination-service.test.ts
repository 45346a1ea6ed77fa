// weft-controller destination against the test Kubernetes API server, seen through a real gRPC client: what
// Get and GetProfile stream for each kind of authority, how they follow changes, bad input, and an API server
// restart that loses its watch history.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { formatHostPort } from '../../common/address';
import { CONFIG, identityName, PROXY_VERSION, ROUTE } from '../../common/contract';
import { DestinationClient, DestinationProfile, Update } from '../../common/destination-api';
import { startController } from '../fixtures/controller-process';
import { waitFor } from '../fixtures/http-client';
import { startKubeApiServer, type KubeApiServer } from '../fixtures/kube-api-server';

interface Watched<M> {
  messages: M[];
  status(): grpc.StatusObject | undefined;
}

function pod(name: string, ip: string, extra: { annotations?: Record<string, string>; serviceAccount?: string } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'demo', labels: { app: 'web' }, annotations: extra.annotations },
    spec: { serviceAccountName: extra.serviceAccount, containers: [{ name: 'app', image: 'web' }] },
    status: { podIP: ip },
  };
}

function slice(name: string, service: string, endpoints: { ip: string; pod?: string; hostname?: string; ready?: boolean }[], port = 8080) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'demo', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      hostname: e.hostname,
      conditions: { ready: e.ready ?? true },
      targetRef: e.pod ? { kind: 'Pod', name: e.pod, namespace: 'demo' } : undefined,
    })),
  };
}

function service(name: string, spec: Record<string, unknown> = {}, annotations?: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'demo', annotations }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec } };
}

/** Applies an update to a map of endpoints by address, as a client would. */
function endpointSet(messages: Update[]): Map<string, Record<string, unknown>> {
  const set = new Map<string, Record<string, unknown>>();
  for (const m of messages) {
    if (m.add) for (const a of m.add.addrs) set.set(`${a.addr.ip}:${a.addr.port}`, a as unknown as Record<string, unknown>);
    if (m.remove) for (const a of m.remove.addrs) set.delete(`${a.ip}:${a.port}`);
    if (m.noEndpoints || m.notInCluster) set.clear();
  }
  return set;
}

async function setup(t: Test) {
  const kube: KubeApiServer = await startKubeApiServer({ namespaces: ['default', 'demo'] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-destination-'));
  t.teardown(async () => {
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  kube.store.create(pod('web-1', '10.1.0.1', { annotations: { [PROXY_VERSION]: 'v0.1.0', [CONFIG.opaquePorts]: '3306,9000-9001' }, serviceAccount: 'web' }));
  // An unmeshed pod of a Deployment: its endpoint's workload is read through its ReplicaSet.
  kube.store.create({ ...pod('web-2', '10.1.0.2'), metadata: { ...pod('web-2', '10.1.0.2').metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5c9', uid: 'rs-uid', controller: true }] } });
  kube.store.create({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-5c9', namespace: 'demo', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'deploy-uid', controller: true }] },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web' }] } } },
  });
  kube.store.create(service('web', {}, { [ROUTE.retryHttp]: '5xx', [ROUTE.retryLimit]: '2', [ROUTE.requestTimeout]: '3s' }));
  kube.store.create(slice('web-a', 'web', [{ ip: '10.1.0.1', pod: 'web-1' }, { ip: '10.1.0.2', pod: 'web-2' }, { ip: '10.1.0.9', ready: false }]));
  kube.store.create(service('db', { clusterIP: 'None', ports: [{ name: 'http', port: 5432 }] }));
  kube.store.create(slice('db-a', 'db', [{ ip: '10.1.1.1', hostname: 'db-0' }, { ip: '10.1.1.2', hostname: 'db-1' }], 5432));
  kube.store.create(service('ext', { type: 'ExternalName', externalName: 'api.example.com', ports: undefined }));

  const controller = await startController(t, ['--kubeconfig', kube.kubeconfigFile(dir), '--destination-plaintext']);
  const client = new DestinationClient(formatHostPort(controller.destination!), grpc.credentials.createInsecure()) as unknown as grpc.Client &
    Record<'Get' | 'GetProfile', (req: { path: string; contextToken: string }) => grpc.ClientReadableStream<unknown>>;
  const calls: grpc.ClientReadableStream<unknown>[] = [];
  t.teardown(() => {
    for (const call of calls) call.cancel();
    client.close();
  });
  function watch<M>(method: 'Get' | 'GetProfile', authority: string, contextToken = ''): Watched<M> {
    const messages: M[] = [];
    let status: grpc.StatusObject | undefined;
    const call = client[method]({ path: authority, contextToken });
    calls.push(call);
    call.on('data', (m: M) => messages.push(m));
    call.on('error', () => {});
    call.on('status', (s: grpc.StatusObject) => (status = s));
    return { messages, status: () => status };
  }
  return { kube, controller, get: (a: string, ctx?: string) => watch<Update>('Get', a, ctx), profile: (a: string) => watch<DestinationProfile>('GetProfile', a) };
}

t.test('Get: every kind of authority, then scaling, a bad object and an API server restart', async (t) => {
  const { kube, controller, get, profile } = await setup(t);

  const web = get('web.demo.svc.cluster.local:80');
  await waitFor('the first answer', () => web.messages.length > 0);
  t.equal(web.messages[0].update, 'add', 'the first message carries the whole set');
  const first = endpointSet(web.messages);
  t.same([...first.keys()].sort(), ['10.1.0.1:8080', '10.1.0.2:8080'], 'ready endpoints on the target port; the unready one is left out');
  t.match(first.get('10.1.0.1:8080'), {
    metricLabels: { namespace: 'demo', service: 'web', pod: 'web-1' },
    identity: identityName('web', 'demo'),
    protocolHint: 'h2',
    opaquePorts: [3306, 9000, 9001],
  }, 'a meshed pod: identity from its service account, the h2 hint, its opaque ports');
  t.match(first.get('10.1.0.2:8080'), { identity: '', protocolHint: '', opaquePorts: [] }, 'an unmeshed pod: no identity, no hint');
  t.same(first.get('10.1.0.2:8080')!.metricLabels, { namespace: 'demo', service: 'web', pod: 'web-2', deployment: 'web', serviceaccount: 'default' }, 'its Deployment through its ReplicaSet (watched), its service account');

  const short = get('web:80', JSON.stringify({ ns: 'demo' }));
  const clusterIp = String((kube.store.get('Service', 'web', 'demo').spec as { clusterIP: string }).clusterIP);
  const byIp = get(`${clusterIp}:80`);
  const podIp = get('10.1.0.1:8080');
  const headless = get('db-1.db.demo.svc.cluster.local:5432');
  const external = get('ext.demo.svc.cluster.local:443');
  const outside = get('api.example.com:443');
  const unknown = get('nope.demo.svc.cluster.local:80');
  const started = Date.now();
  await waitFor('answers for every authority', () => [short, byIp, podIp, headless, external, outside, unknown].every((w) => w.messages.length > 0));
  t.ok(Date.now() - started < 2000, 'answers come at once');
  t.same([...endpointSet(short.messages).keys()].sort(), ['10.1.0.1:8080', '10.1.0.2:8080'], 'a short name resolves in the caller namespace');
  t.same([...endpointSet(byIp.messages).keys()].sort(), ['10.1.0.1:8080', '10.1.0.2:8080'], 'a cluster IP resolves to its service');
  t.match([...endpointSet(podIp.messages).values()], [{ metricLabels: { namespace: 'demo', pod: 'web-1' }, protocolHint: 'h2' }], 'a pod IP is that pod');
  t.same([...endpointSet(headless.messages).keys()], ['10.1.1.2:5432'], 'one pod of a headless service by its hostname');
  t.same(external.messages[0], { notInCluster: { host: 'api.example.com', port: 443 }, update: 'notInCluster' }, 'ExternalName: connect directly');
  t.same(outside.messages[0], { notInCluster: { host: 'api.example.com', port: 443 }, update: 'notInCluster' }, 'a name outside the cluster: directly');
  t.same(unknown.messages[0], { noEndpoints: { exists: false }, update: 'noEndpoints' }, 'an unknown service: no endpoints, does not exist');

  const bad = get('not a host');
  const badContext = get('web:80', '{ns');
  await waitFor('the refusals', () => bad.status() !== undefined && badContext.status() !== undefined);
  t.match(bad.status(), { code: grpc.status.INVALID_ARGUMENT, details: /is not host:port/ });
  t.match(badContext.status(), { code: grpc.status.INVALID_ARGUMENT, details: /context token/ });

  const policy = profile('web.demo.svc.cluster.local:80');
  await waitFor('the profile', () => policy.messages.length > 0);
  t.match(policy.messages[0], { retry: { http: '5xx', limit: 2 }, timeoutMs: 3000 });
  kube.store.apply(service('web', { clusterIP: clusterIp }, { [ROUTE.retryHttp]: 'gateway-error' }));
  await waitFor('the new profile', () => policy.messages.length > 1);
  t.match(policy.messages[1], { retry: { http: 'gateway-error', timeoutMs: 0 }, timeoutMs: 0 });
  t.notOk('limit' in (policy.messages[1].retry ?? {}), 'an unset limit stays unset');

  // Scale up: a new pod in a second slice. Scale down: one leaves the first.
  kube.store.create(pod('web-3', '10.1.0.3'));
  kube.store.create(slice('web-b', 'web', [{ ip: '10.1.0.3', pod: 'web-3' }]));
  await waitFor('web-3 added', () => endpointSet(web.messages).has('10.1.0.3:8080'));
  const before = web.messages.length;
  kube.store.apply(slice('web-a', 'web', [{ ip: '10.1.0.1', pod: 'web-1' }]));
  await waitFor('web-2 removed', () => !endpointSet(web.messages).has('10.1.0.2:8080'));
  t.same(web.messages.slice(before), [{ remove: { addrs: [{ ip: '10.1.0.2', port: 8080 }] }, update: 'remove' }], 'a scale-down is one remove');

  // A pod update that fails validation is skipped; the stream and later changes go on.
  kube.store.apply({ ...pod('web-1', '10.1.0.1', { annotations: { [PROXY_VERSION]: 'v0.1.0', [CONFIG.opaquePorts]: 'lots' }, serviceAccount: 'web' }) });
  await waitFor('the rejection in the log', () => controller.logs().includes('opaque-ports=\\"lots\\" is not valid'));
  kube.store.create(slice('web-c', 'web', [{ ip: '10.1.0.4' }]));
  await waitFor('a later change', () => endpointSet(web.messages).has('10.1.0.4:8080'));
  t.match(endpointSet(web.messages).get('10.1.0.1:8080'), { opaquePorts: [3306, 9000, 9001] }, 'what was known before the bad update stays');
  t.equal(web.status(), undefined, 'the stream is still open');

  // The API server goes away; changes happen meanwhile; it comes back without its watch history (410).
  await kube.stop();
  kube.store.delete('EndpointSlice', 'web-b', 'demo');
  kube.store.delete('Pod', 'web-3', 'demo');
  kube.store.create(pod('web-5', '10.1.0.5'));
  kube.store.create(slice('web-d', 'web', [{ ip: '10.1.0.5', pod: 'web-5' }]));
  kube.forgetHistory();
  await kube.start();
  await waitFor('the relist to reach the stream', () => {
    const set = endpointSet(web.messages);
    return set.has('10.1.0.5:8080') && !set.has('10.1.0.3:8080');
  }, 20_000);
  t.same([...endpointSet(web.messages).keys()].sort(), ['10.1.0.1:8080', '10.1.0.4:8080', '10.1.0.5:8080']);

  // The service is deleted: its streams say so.
  kube.store.delete('Service', 'web', 'demo');
  await waitFor('no endpoints', () => web.messages.at(-1)?.update === 'noEndpoints');
  t.same(web.messages.at(-1), { noEndpoints: { exists: false }, update: 'noEndpoints' });
});
