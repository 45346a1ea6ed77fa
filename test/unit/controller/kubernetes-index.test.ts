import t from 'tap';
import type { V1EndpointSlice, V1Pod, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import { FactError, intermediateOwnerFact, podFact, serviceFact, sliceFact } from '../../../controller/cluster/kubernetes-facts';
import { ClusterIndex } from '../../../controller/cluster/kubernetes-index';
import { AnnotationError } from '../../../controller/cluster/annotations';
import { identityName, PROXY_VERSION, proxyWorkloadLabel, ROUTE, SLO } from '../../../common/contract';

const svc = (name: string, spec: V1Service['spec'] = { clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 80 }] }, annotations?: Record<string, string>): V1Service => ({
  metadata: { name, namespace: 'demo', annotations },
  spec,
});
const slice = (name: string, service: string, ips: string[], pods: (string | undefined)[] = []): V1EndpointSlice => ({
  metadata: { name, namespace: 'demo', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080 }],
  endpoints: ips.map((ip, i) => ({ addresses: [ip], targetRef: pods[i] ? { kind: 'Pod', name: pods[i] } : undefined })),
});
const pod = (name: string, ip: string, meshed = false): V1Pod => ({
  metadata: { name, namespace: 'demo', annotations: meshed ? { [PROXY_VERSION]: 'v1' } : undefined },
  spec: { serviceAccountName: 'web', containers: [] },
  status: { podIP: ip },
});
const target = { kind: 'service' as const, namespace: 'demo', name: 'web', port: 80 };
const keys = (set: Set<string>) => [...set].sort();

t.test('a service resolves to the ready addresses of its slices, with pod metadata', async (t) => {
  const index = new ClusterIndex();
  t.same(index.resolve(target), { kind: 'unknown' });
  t.same(keys(index.setService(serviceFact(svc('web')))), ['ip:10.96.0.1', 'svc:demo/web']);
  t.same(index.resolve(target), { kind: 'endpoints', endpoints: [], policy: {} });
  t.same(keys(index.setSlice('demo', 'web-a', sliceFact(slice('web-a', 'web', ['10.0.0.1', '10.0.0.2'], ['p1'])))), ['ip:10.96.0.1', 'svc:demo/web']);
  t.same(keys(index.setPod(podFact(pod('p1', '10.0.0.1', true)))), ['ip:10.0.0.1'], 'a new pod: its own IP (no slice referenced it before it was known)');
  t.same(keys(index.setPod(podFact(pod('p1', '10.0.0.1', false)))), ['ip:10.0.0.1', 'ip:10.96.0.1', 'svc:demo/web'], 'a known pod changing: the services whose slices name it');
  index.setPod(podFact(pod('p1', '10.0.0.1', true)));
  const resolved = index.resolve(target);
  t.match(resolved, {
    kind: 'endpoints',
    endpoints: [
      { addr: { host: '10.0.0.1', port: 8080 }, labels: { namespace: 'demo', service: 'web', pod: 'p1' }, identity: identityName('web', 'demo'), protocolHint: 'h2' },
      { addr: { host: '10.0.0.2', port: 8080 }, labels: { namespace: 'demo', service: 'web' } },
    ],
  });
  t.same(index.resolve({ kind: 'ip', ip: '10.96.0.1', port: 80 }), resolved, 'the cluster IP is the service');
  t.match(index.resolve({ kind: 'ip', ip: '10.0.0.1', port: 9000 }), { kind: 'endpoints', endpoints: [{ addr: { port: 9000 }, labels: { pod: 'p1' } }] });
  t.same(index.resolve({ ...target, port: 81 }), { kind: 'endpoints', endpoints: [], policy: {} }, 'a port the service does not have');
  t.same(keys(index.deleteSlice('demo', 'web-a')), ['ip:10.96.0.1', 'svc:demo/web']);
  t.same(keys(index.deletePod('demo', 'p1')), ['ip:10.0.0.1'], 'no slice names it any more');
  t.same(index.resolve({ kind: 'ip', ip: '10.0.0.1', port: 80 }), { kind: 'unknown' });
});

t.test('ExternalName, headless services without ports, slice moves between services', async (t) => {
  const index = new ClusterIndex();
  index.setService(serviceFact(svc('ext', { type: 'ExternalName', externalName: 'api.example.com.' })));
  t.same(index.resolve({ ...target, name: 'ext', port: 443 }), { kind: 'external', addr: { host: 'api.example.com', port: 443 } });
  index.setService(serviceFact(svc('web', { clusterIP: 'None' })));
  index.setSlice('demo', 's', sliceFact({ ...slice('s', 'web', ['10.0.0.5']), ports: [{ name: '', port: null as unknown as number }] }));
  t.match(index.resolve({ ...target, port: 7000 }), { endpoints: [{ addr: { host: '10.0.0.5', port: 7000 } }] }, 'a headless service without ports passes the port through');
  t.same(keys(index.setSlice('demo', 's', sliceFact(slice('s', 'other', ['10.0.0.5'])))), ['svc:demo/other', 'svc:demo/web'], 'both services hear of a relabelled slice');
  t.same(keys(index.setSlice('demo', 's', sliceFact({ ...slice('s', 'other', []), metadata: { name: 's', namespace: 'demo' } }))), ['svc:demo/other'], 'a slice no service owns is dropped');
});

t.test('objects that do not make sense are refused with a reason', async (t) => {
  t.throws(() => sliceFact(slice('s', 'web', ['not-an-ip'])), FactError);
  t.throws(() => sliceFact(slice('s', 'web', ['fd00::1'])), /is not an IPv4 address/);
  t.throws(() => podFact({ ...pod('p', '10.0.0.1'), metadata: { name: 'p', annotations: { 'config.weft.io/opaque-ports': 'x' } } }), AnnotationError);
  t.throws(() => serviceFact(svc('web', undefined, { [ROUTE.retryLimit]: '-1' })), /retry\.weft\.io\/limit="-1" is not a whole number/);
  t.throws(() => serviceFact(svc('web', undefined, { [ROUTE.requestTimeout]: '10' })), /timeout\.weft\.io\/request="10" is not valid: expected a number with a unit/);
  t.same(serviceFact(svc('web', undefined, { [ROUTE.retryGrpc]: 'unavailable', [ROUTE.retryTimeout]: '250ms', [ROUTE.requestTimeout]: '2s' })).policy, {
    retry: { grpc: 'unavailable', timeoutMs: 250 },
    timeoutMs: 2000,
  });
  t.equal(sliceFact({ ...slice('s', 'web', []), addressType: 'FQDN' }), undefined, 'FQDN slices are not used');
});

t.test('slo.weft.io annotations: the objectives of the indexed services; an invalid one is left out, routing kept', async (t) => {
  const index = new ClusterIndex();
  index.setService(serviceFact(svc('web', undefined, { [SLO.successRate]: '99.9', [SLO.latency]: '300ms@99', [SLO.window]: '7d' })));
  const books = serviceFact(svc('books', undefined, { [SLO.latency]: '250ms@99' }));
  t.match(books.objective, { kind: 'invalid', reason: /slo\.weft\.io\/latency="250ms@99" .* nearest are 200ms and 300ms/ });
  index.setService(books);
  index.setService(serviceFact(svc('stock')));
  t.same(index.objectives(), [{ namespace: 'demo', service: 'web', objective: { successRate: 0.999, latency: { thresholdMs: 300, ratio: 0.99 }, windowSeconds: 604_800 } }]);
  t.match(index.resolve({ ...target, name: 'books' }), { kind: 'endpoints' }, 'the service with a bad objective still resolves');
  index.deleteService('demo', 'web');
  t.same(index.objectives(), []);
});

t.test("endpoint labels: the pod's workload (its weft.io/proxy-<kind> label, else its owner chain) and service account", async (t) => {
  const owned = (name: string, ip: string, owner?: { kind: string; name: string; apiVersion?: string }, labels?: Record<string, string>): V1Pod => ({
    ...pod(name, ip, labels !== undefined),
    metadata: {
      name,
      namespace: 'demo',
      labels,
      annotations: labels ? { [PROXY_VERSION]: 'v1' } : undefined,
      ownerReferences: owner ? [{ apiVersion: owner.apiVersion ?? 'apps/v1', kind: owner.kind, name: owner.name, uid: `uid-${owner.name}`, controller: true }] : undefined,
    },
  });
  const replicaSet = (name: string, deployment?: string): V1ReplicaSet => ({
    metadata: { name, namespace: 'demo', ownerReferences: deployment ? [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: 'd', controller: true }] : undefined },
  });
  const index = new ClusterIndex();
  index.setService(serviceFact(svc('web')));
  index.setSlice('demo', 'web-a', sliceFact(slice('web-a', 'web', ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'], ['meshed', 'plain', 'bare', 'db-0'])));
  index.setPod(podFact(owned('meshed', '10.0.0.1', { kind: 'ReplicaSet', name: 'other-5d' }, { [proxyWorkloadLabel('deployment')]: 'web' })));
  index.setPod(podFact(owned('plain', '10.0.0.2', { kind: 'ReplicaSet', name: 'web-7f' })));
  index.setPod(podFact({ ...owned('bare', '10.0.0.3'), spec: { containers: [] } }));
  index.setPod(podFact(owned('db-0', '10.0.0.4', { kind: 'StatefulSet', name: 'db' })));
  const labels = () => Object.fromEntries((index.resolve(target) as unknown as { endpoints: { labels: Record<string, string> }[] }).endpoints.map((e) => [e.labels.pod, e.labels]));

  t.same(labels().plain, { namespace: 'demo', service: 'web', pod: 'plain', replicaset: 'web-7f', serviceaccount: 'web' }, 'a ReplicaSet not seen yet is the workload itself');
  t.same(keys(index.setOwner(intermediateOwnerFact('ReplicaSet', replicaSet('web-7f', 'web')))), ['ip:10.0.0.2', 'ip:10.96.0.1', 'svc:demo/web'], 'its ReplicaSet arriving changes the pod\'s endpoints');
  t.same(keys(index.setOwner(intermediateOwnerFact('ReplicaSet', replicaSet('web-7f', 'web')))), [], 'the same controller again (a status update): nothing changes');
  const now = labels();
  t.same(now.plain, { namespace: 'demo', service: 'web', pod: 'plain', deployment: 'web', serviceaccount: 'web' }, 'Pod → ReplicaSet → Deployment');
  t.same(now.meshed, { namespace: 'demo', service: 'web', pod: 'meshed', deployment: 'web', serviceaccount: 'web' }, "a meshed pod: its weft.io/proxy-deployment label, not its owners'");
  t.same(now.bare, { namespace: 'demo', service: 'web', pod: 'bare', serviceaccount: 'default' }, 'a bare pod: no workload; the default service account');
  t.same(now['db-0'], { namespace: 'demo', service: 'web', pod: 'db-0', statefulset: 'db', serviceaccount: 'web' }, 'a StatefulSet is its own workload');
  t.match(index.resolve({ kind: 'ip', ip: '10.0.0.2', port: 8080 }), { endpoints: [{ labels: { pod: 'plain', deployment: 'web', serviceaccount: 'web' } }] }, 'by pod IP too');
  t.same(keys(index.deleteOwner('ReplicaSet', 'demo', 'web-7f')), ['ip:10.0.0.2', 'ip:10.96.0.1', 'svc:demo/web']);
  t.equal(labels().plain.replicaset, 'web-7f', 'its ReplicaSet gone: the ReplicaSet again, as the injector reads it');
  t.same(keys(index.setOwner(intermediateOwnerFact('Job', { metadata: { name: 'unrelated', namespace: 'demo' } }))), [], 'a Job no pod names');
});
