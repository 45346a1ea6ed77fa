// A tap query against the cluster's pods: which pods, which match, and errors that name what exists.
import t from 'tap';
import type { PodInfo } from '../../../../controller/cluster/types';
import { QueryError, selectTap } from '../../../../controller/tap/select';

const tap = (host: string, identity: string) => ({ addr: { host, port: 4190 }, identity });
const PODS: PodInfo[] = [
  { namespace: 'demo', name: 'web-0', workload: { kind: 'deployment', name: 'web' }, ip: '10.0.0.1', tap: tap('10.0.0.1', 'web.demo.serviceaccount.identity.weft.cluster.local') },
  { namespace: 'demo', name: 'web-1', workload: { kind: 'deployment', name: 'web' }, ip: '10.0.0.2', tap: tap('10.0.0.2', 'web.demo.serviceaccount.identity.weft.cluster.local') },
  { namespace: 'demo', name: 'books-0', workload: { kind: 'deployment', name: 'books' }, ip: '10.0.0.3', tap: tap('10.0.0.3', 'books.demo.serviceaccount.identity.weft.cluster.local') },
  { namespace: 'demo', name: 'db-0', workload: { kind: 'statefulset', name: 'db' }, ip: '10.0.0.4' },
  { namespace: 'other', name: 'x-0', workload: { kind: 'deployment', name: 'x' } },
];

t.test('a workload, a pod, a namespace', async (t) => {
  t.same(selectTap({ resource: 'deploy/web', namespace: 'demo' }, PODS).pods.map((p) => p.name), ['web-0', 'web-1']);
  t.same(selectTap({ resource: 'po/books-0', namespace: 'demo' }, PODS).pods.map((p) => p.name), ['books-0']);
  t.same(selectTap({ resource: 'ns/demo' }, PODS).pods.map((p) => p.name), ['web-0', 'web-1', 'books-0', 'db-0'], 'ns/NAME is its own namespace');
  t.match(selectTap({ resource: 'sts/db', namespace: 'demo' }, PODS), { what: 'statefulset/db in namespace demo', maxRps: 100 });
});

t.test('the match: request fields, --to as pods or a service, --from as the callers\' identities and IPs', async (t) => {
  const { match } = selectTap({ resource: 'deploy/web', namespace: 'demo', to: 'deploy/books', method: 'POST', path: '/x', authority: 'books:80', maxRps: 7 }, PODS);
  t.match(match, { method: 'POST', pathPrefix: '/x', authority: 'books:80', to: { namespace: 'demo', pods: ['books-0'], services: [] }, from: null });
  t.match(selectTap({ resource: 'deploy/web', namespace: 'demo', to: 'svc/books' }, PODS).match.to, { namespace: 'demo', services: ['books'], pods: [] });
  t.match(selectTap({ resource: 'deploy/web', namespace: 'demo', to: 'ns/other' }, PODS).match.to, { namespace: 'other', services: [], pods: [] });
  t.match(selectTap({ resource: 'deploy/books', namespace: 'demo', from: 'deploy/web' }, PODS).match.from, {
    namespace: 'demo',
    identities: ['web.demo.serviceaccount.identity.weft.cluster.local'],
    ips: ['10.0.0.1', '10.0.0.2'],
  });
  t.match(selectTap({ resource: 'deploy/books', namespace: 'demo', from: 'deploy/x', fromNamespace: 'other' }, PODS).match.from, { namespace: 'other', identities: [], ips: [] }, 'facts not every caller has are left out');
});

t.test('errors: 404 naming what exists, 400 for a malformed query', async (t) => {
  const fails = (query: Parameters<typeof selectTap>[0], status: number, message: RegExp) => {
    let thrown: unknown;
    try {
      selectTap(query, PODS);
    } catch (err) {
      thrown = err;
    }
    t.ok(thrown instanceof QueryError, `${JSON.stringify(query)} is refused`);
    t.match(thrown, { status, message }, `with ${status} ${message}`);
  };
  fails({ resource: 'deploy/nope', namespace: 'demo' }, 404, /^no pods of deployment\/nope in namespace demo; deployments with pods in namespace demo: books, web$/);
  fails({ resource: 'ns/nope' }, 404, /^no pods of namespace\/nope; namespaces with pods: demo, other$/);
  fails({ resource: 'po/web-9', namespace: 'demo' }, 404, /pods with pods in namespace demo: books-0, db-0, web-0, web-1$/);
  fails({ resource: 'deploy/web', namespace: 'demo', to: 'deploy/nope' }, 404, /^no pods of deployment\/nope/);
  fails({ resource: 'widget/web' }, 400, /^resource: unknown resource type "widget"/);
  fails({ resource: 'svc/web' }, 400, /unknown resource type "svc"/);
  fails({ resource: 'deploy/web', namespace: 'demo', to: 'deploy/books', from: 'deploy/books' }, 400, /give to or from, not both/);
  fails({ resource: 'deploy/web', namespace: 'demo', maxRps: 0 }, 400, /maxRps must be a whole number from 1 to 10000/);
  fails({ resource: 42 as unknown as string }, 400, /resource must be a string/);
});
