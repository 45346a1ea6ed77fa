// `weft stat … --from/--to TYPE/NAME` as Linkerd's viz: the questions asked of the source (matchers and
// grouping) for each row type and filter, the rows made from the answers, and the errors for what cannot be.
import t from 'tap';
import { UsageError } from '../../../../common/errors';
import type { Matchers, MetricsSource, Row } from '../../../../common/views/source';
import { matches, pick } from '../../../../common/views/source';
import { statScope, stats } from '../../../../common/views/stats';
import { filteredScope, TrafficFilter } from '../../../../common/views/traffic-filter';
import { trafficFilter } from '../../../../cli/views/traffic-options';

const web: TrafficFilter = { direction: 'from', type: 'deploy', name: 'web', namespace: 'demo' };
const toBooks: TrafficFilter = { direction: 'to', type: 'deploy', name: 'books', namespace: 'demo' };

t.test('the scope of each row type and filter', async (t) => {
  t.same(statScope({ type: 'deploy', namespace: 'demo' }), { by: ['namespace', 'deployment'], match: { direction: 'inbound', namespace: 'demo' } }, 'plain: what each deployment served');
  t.same(statScope({ type: 'svc', namespace: 'demo' }), { by: ['dst_namespace', 'dst_service'], match: { direction: 'outbound', dst_namespace: 'demo' } }, 'a service: what its callers asked of it');
  t.same(statScope({ type: 'deploy', namespace: 'demo', filter: web }), {
    by: ['dst_namespace', 'dst_deployment'],
    match: { direction: 'outbound', namespace: 'demo', deployment: 'web', dst_namespace: 'demo' },
  }, '--from deploy/web: web\'s outbound series, a row per destination deployment');
  t.same(statScope({ type: 'deploy', namespace: 'demo', filter: toBooks }), {
    by: ['namespace', 'deployment'],
    match: { direction: 'outbound', dst_namespace: 'demo', dst_deployment: 'books', namespace: 'demo' },
  }, '--to deploy/books: every caller\'s outbound series towards books, a row per caller');
  t.same(filteredScope('pod', undefined, { ...web, type: 'pod', name: 'web-0' }).by, ['dst_namespace', 'dst_pod'], 'rows of pods by dst_pod; -A: no namespace matcher');
  t.same(filteredScope('pod', undefined, { ...web, type: 'pod', name: 'web-0' }).match, { direction: 'outbound', namespace: 'demo', pod: 'web-0' });
  t.same(filteredScope('ns', undefined, { direction: 'to', type: 'svc', name: 'books', namespace: 'shop' }), {
    by: ['namespace'],
    match: { direction: 'outbound', dst_namespace: 'shop', dst_service: 'books' },
  }, 'namespaces calling a service');
  t.same(filteredScope('svc', 'demo', { direction: 'from', type: 'ns', name: 'demo', namespace: '' }).match, { direction: 'outbound', namespace: 'demo', dst_namespace: 'demo' }, 'services a namespace calls');
});

t.test('what cannot be: a service sends nothing', async (t) => {
  t.throws(() => filteredScope('deploy', 'demo', { direction: 'from', type: 'svc', name: 'books', namespace: 'demo' }), { name: 'UsageError', message: /^--from svc\/books: a service sends no traffic; use --to svc\/books/ });
  t.throws(() => filteredScope('svc', 'demo', toBooks), { name: 'UsageError', message: /^--to lists the callers of a resource, and services call nothing/ });
});

t.test('the CLI flags: TYPE/NAME, namespaces, one of the two', async (t) => {
  t.same(trafficFilter({ from: 'deploy/web' }, 'demo'), web);
  t.same(trafficFilter({ to: 'deployment/books', toNamespace: 'shop' }, 'demo'), { ...toBooks, namespace: 'shop' });
  t.same(trafficFilter({ to: 'ns/demo' }, undefined), { direction: 'to', type: 'ns', name: 'demo', namespace: '' });
  t.equal(trafficFilter({}, 'demo'), undefined);
  t.throws(() => trafficFilter({ from: 'deploy' }, 'demo'), new UsageError('--from "deploy" names no resource: write TYPE/NAME, e.g. --from deploy/web'));
  t.throws(() => trafficFilter({ from: 'deployz/web' }, 'demo'), new UsageError('--from "deployz/web": unknown resource type "deployz": use deploy, pod, svc or ns'));
  t.throws(() => trafficFilter({ from: 'deploy/web', to: 'deploy/books' }, 'demo'), new UsageError('give either --from or --to, not both'));
  t.throws(() => trafficFilter({ fromNamespace: 'demo' }, 'demo'), new UsageError('--from-namespace needs --from TYPE/NAME'));
  t.throws(() => trafficFilter({ from: 'deploy/web' }, undefined), new UsageError('with -A, give --from-namespace for --from deploy/web'));
});

/** A source over fixed series: each question is answered by matching and summing them, and recorded. */
function fixedSource(series: Row[], targets: Row[]): MetricsSource & { asked: { metric: string; match: Matchers; by: readonly string[] }[] } {
  const asked: { metric: string; match: Matchers; by: readonly string[] }[] = [];
  const sum = (metric: string, match: Matchers, by: readonly string[]) => {
    asked.push({ metric, match, by });
    const groups = new Map<string, Row>();
    for (const s of series.filter((r) => r.labels.__name__ === metric && matches(r.labels, match))) {
      const labels = pick(s.labels, by);
      const key = JSON.stringify(labels);
      const g = groups.get(key) ?? { labels, value: 0 };
      g.value += s.value;
      groups.set(key, g);
    }
    return [...groups.values()];
  };
  return {
    description: 'fixed series',
    asked,
    increase: async (metric, match, by) => sum(metric, match, by),
    current: async (metric, match, by) => sum(metric, match, by),
    quantile: async () => [],
    targets: async () => targets,
  };
}

t.test('stats --from / --to: rows from the callers\' outbound series, meshed from the rows\' own proxies', async (t) => {
  const proxy = (deployment: string) => ({ namespace: 'demo', deployment, pod: `${deployment}-0` });
  const out = (caller: string, callee: string, classification: string, value: number): Row => ({
    labels: { __name__: 'response_total', ...proxy(caller), direction: 'outbound', dst_namespace: 'demo', dst_deployment: callee, dst_service: callee, classification, tls: 'true' },
    value,
  });
  const series = [out('web', 'books', 'success', 90), out('web', 'books', 'failure', 10), out('web', 'authors', 'success', 30), out('load', 'web', 'success', 50), out('admin', 'books', 'success', 20)];
  const targets = ['web', 'books', 'authors', 'load', 'admin', 'idle'].map((d) => ({ labels: proxy(d), value: 1 }));
  const range = { fromMs: 0, toMs: 10_000 };
  const source = fixedSource(series, targets);

  const from = await stats(source, { type: 'deploy', namespace: 'demo', range, filter: web });
  t.same(from.map((r) => [r.name, r.responses, r.successRate, r.rps, r.meshed]), [
    ['authors', 30, 1, 3, { ready: 1, total: 1 }],
    ['books', 100, 0.9, 10, { ready: 1, total: 1 }],
  ], 'what web called, and nothing else (no row for idle)');
  t.equal(from[0].tcpConnections, undefined, 'TCP series carry no dst_* labels: unknown, not zero');
  t.notOk(source.asked.some((a) => a.metric === 'tcp_open_connections'), 'and not asked');

  const to = await stats(source, { type: 'deploy', namespace: 'demo', range, filter: toBooks });
  t.same(to.map((r) => [r.name, r.responses]), [['admin', 20], ['web', 100]], 'books\' callers');
  t.same(await stats(source, { type: 'deploy', name: 'web', namespace: 'demo', range, filter: toBooks }).then((r) => r.map((x) => x.name)), ['web'], 'NAME selects one caller');
  t.same(await stats(source, { type: 'deploy', name: 'idle', namespace: 'demo', range, filter: toBooks }), [], 'a deployment that exists but does not call books: no row, no error');
  await t.rejects(stats(source, { type: 'deploy', name: 'nope', namespace: 'demo', range, filter: toBooks }), { message: 'no deployment "nope" in namespace demo; known in namespace demo: admin, authors, books, idle, load and web' });
  await t.rejects(stats(source, { type: 'deploy', namespace: 'demo', range, filter: { ...web, name: 'nope' } }), {
    message: '--from deploy/nope: no deployment "nope" in namespace demo; known in namespace demo: admin, authors, books, idle, load and web',
  });
  t.same(await stats(source, { type: 'deploy', namespace: 'demo', range, filter: { ...toBooks, name: 'load' } }), [], 'nothing calls load: no rows');
  await t.rejects(stats(source, { type: 'deploy', namespace: 'demo', range, filter: { direction: 'to', type: 'svc', name: 'nope', namespace: 'demo' } }), {
    message: '--to svc/nope: no service "nope" in namespace demo; known in namespace demo: authors, books and web',
  });
});
