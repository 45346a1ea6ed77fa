import t from 'tap';
import type { Resolution } from '../../../controller/cluster/types';
import { endpointChanges, profileOf, toSent } from '../../../controller/destination/messages';

const ep = (ip: string, pod: string, identity?: string): Extract<Resolution, { kind: 'endpoints' }>['endpoints'][number] => ({
  addr: { host: ip, port: 8080 },
  labels: { namespace: 'demo', service: 'web', pod },
  identity,
  opaquePorts: [],
});
const endpoints = (...list: ReturnType<typeof ep>[]): Resolution => ({ kind: 'endpoints', endpoints: list, policy: {} });

t.test('a new stream gets the whole state in one message', async (t) => {
  t.match(endpointChanges(undefined, toSent(endpoints(ep('10.0.0.1', 'a'), ep('10.0.0.2', 'b')))), [
    { add: { addrs: [{ addr: { ip: '10.0.0.1', port: 8080 }, metricLabels: { pod: 'a' } }, { addr: { ip: '10.0.0.2' } }] } },
  ]);
  t.same(endpointChanges(undefined, toSent(endpoints())), [{ noEndpoints: { exists: true } }]);
  t.same(endpointChanges(undefined, toSent({ kind: 'unknown' })), [{ noEndpoints: { exists: false } }]);
  t.same(endpointChanges(undefined, toSent({ kind: 'external', addr: { host: 'x.example', port: 443 } })), [{ notInCluster: { host: 'x.example', port: 443 } }]);
});

t.test('changes: adds (new or changed) before removes, nothing for no change', async (t) => {
  const before = toSent(endpoints(ep('10.0.0.1', 'a'), ep('10.0.0.2', 'b')));
  t.same(endpointChanges(before, toSent(endpoints(ep('10.0.0.1', 'a'), ep('10.0.0.2', 'b')))), []);
  const rolled = endpointChanges(before, toSent(endpoints(ep('10.0.0.2', 'b', 'b.demo.id'), ep('10.0.0.3', 'c'))));
  t.equal(rolled.length, 2);
  t.match(rolled[0], { add: { addrs: [{ addr: { ip: '10.0.0.2' }, identity: 'b.demo.id' }, { addr: { ip: '10.0.0.3' } }] } }, 'changed metadata is re-added');
  t.same(rolled[1], { remove: { addrs: [{ ip: '10.0.0.1', port: 8080 }] } });
  t.same(endpointChanges(before, toSent(endpoints())), [{ noEndpoints: { exists: true } }], 'emptied');
  t.same(endpointChanges(toSent(endpoints()), toSent(endpoints())), [], 'still empty');
  t.same(endpointChanges(before, toSent({ kind: 'unknown' })), [{ noEndpoints: { exists: false } }], 'deleted');
  t.match(endpointChanges(toSent({ kind: 'unknown' }), before), [{ add: { addrs: [{}, {}] } }], 'created again: the whole set');
});

t.test('profiles carry the policy, with unset fields unset', async (t) => {
  t.same(profileOf({ kind: 'endpoints', endpoints: [], policy: { retry: { http: '5xx', limit: 3 }, timeoutMs: 2000 } }), {
    retry: { http: '5xx', grpc: '', limit: 3, timeoutMs: 0 },
    timeoutMs: 2000,
  });
  t.same(profileOf({ kind: 'unknown' }), { retry: null, timeoutMs: 0 });
});
