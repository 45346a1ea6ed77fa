import t from 'tap';
import { findOwner, OwnerReference, ReadOwnerReferences } from '../../../../controller/injector/owner';

const ref = (kind: string, name: string, apiVersion = 'apps/v1', controller = true): OwnerReference => ({ apiVersion, kind, name, controller });

/** Owner references by "Kind/name"; absent means 404. Records what was read. */
function api(objects: Record<string, OwnerReference[]>): { read: ReadOwnerReferences; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: async (kind, namespace, name) => {
      reads.push(`${kind} ${namespace}/${name}`);
      return objects[`${kind}/${name}`];
    },
  };
}

t.test('a ReplicaSet leads to its Deployment, a Job to its CronJob', async (t) => {
  const cluster = api({ 'ReplicaSet/web-7d9f': [ref('Deployment', 'web')], 'Job/nightly-1': [ref('CronJob', 'nightly', 'batch/v1')] });
  t.same(await findOwner([ref('ReplicaSet', 'web-7d9f')], 'demo', cluster.read), { kind: 'Deployment', name: 'web' });
  t.same(await findOwner([ref('Job', 'nightly-1', 'batch/v1')], 'demo', cluster.read), { kind: 'CronJob', name: 'nightly' });
  t.same(cluster.reads, ['ReplicaSet demo/web-7d9f', 'Job demo/nightly-1']);
});

t.test('other owners are taken as they are, without an API call', async (t) => {
  const cluster = api({});
  t.same(await findOwner([ref('StatefulSet', 'db')], 'demo', cluster.read), { kind: 'StatefulSet', name: 'db' });
  t.same(await findOwner([ref('DaemonSet', 'agent')], 'demo', cluster.read), { kind: 'DaemonSet', name: 'agent' });
  t.equal(await findOwner(undefined, 'demo', cluster.read), undefined, 'a bare pod');
  t.equal(await findOwner([ref('ReplicaSet', 'x', 'apps/v1', false)], 'demo', cluster.read), undefined, 'only the controller reference counts');
  t.same(await findOwner([ref('ReplicaSet', 'x', 'example.com/v1')], 'demo', cluster.read), { kind: 'ReplicaSet', name: 'x' }, 'a ReplicaSet of another API group is not read');
  t.same(cluster.reads, []);
});

t.test('a ReplicaSet that is gone, or has no Deployment, is the owner itself', async (t) => {
  const cluster = api({ 'ReplicaSet/alone': [], 'ReplicaSet/custom': [ref('Rollout', 'web', 'argoproj.io/v1alpha1')] });
  t.same(await findOwner([ref('ReplicaSet', 'gone')], 'demo', cluster.read), { kind: 'ReplicaSet', name: 'gone' });
  t.same(await findOwner([ref('ReplicaSet', 'alone')], 'demo', cluster.read), { kind: 'ReplicaSet', name: 'alone' });
  t.same(await findOwner([ref('ReplicaSet', 'custom')], 'demo', cluster.read), { kind: 'ReplicaSet', name: 'custom' });
});

t.test('a failed read is the caller\'s to report', async (t) => {
  await t.rejects(findOwner([ref('ReplicaSet', 'web')], 'demo', async () => Promise.reject(new Error('HTTP 500'))), /HTTP 500/);
});
