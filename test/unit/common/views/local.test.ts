// The local metrics source computes what Prometheus would from two snapshots: increases (with counter resets
// and series that appear meanwhile), sums by label, histogram quantiles; and the views built on it.
import t from 'tap';
import { LocalSource } from '../../../../common/views/local';
import { histogramQuantile } from '../../../../common/views/quantile';
import type { Snapshot, SnapshotHistory } from '../../../../common/views/snapshots';
import { SnapshotStore } from '../../../../common/views/snapshots';
import { stats } from '../../../../common/views/stats';
import { edges } from '../../../../common/views/edges';
import { UnknownResourceName } from '../../../../common/views/resources';

const web = { namespace: 'demo', deployment: 'web', pod: 'web-0' };
const books = { namespace: 'demo', deployment: 'books', pod: 'books-0' };
const stock = { namespace: 'demo', deployment: 'stock', pod: 'stock-0' };
const id = (name: string) => `${name}.demo.serviceaccount.identity.weft.cluster.local`;

function history(start: Snapshot, end: Snapshot): SnapshotHistory {
  return { description: 'test snapshots', pair: async () => [start, end] };
}

const inbound = (classification: string, tls = 'true') => ({ direction: 'inbound', classification, tls, authority: 'web:8080' });
const buckets = (counts: number[], extra: Record<string, string> = {}) =>
  [1, 10, 100, Infinity].map((le, i) => ({ name: 'response_latency_ms_bucket', labels: { ...inbound('success'), ...extra, le: le === Infinity ? '+Inf' : String(le) }, value: counts[i] }));

t.test('histogramQuantile interpolates inside the bucket as Prometheus does', async (t) => {
  const b = [
    { le: 10, count: 50 },
    { le: 20, count: 100 },
    { le: Infinity, count: 100 },
  ];
  t.equal(histogramQuantile(0.5, b), 10, 'the median at a bucket edge');
  t.equal(histogramQuantile(0.75, b), 15, 'linear inside the bucket');
  t.equal(histogramQuantile(0.25, b), 5, 'the first bucket starts at 0');
  t.equal(histogramQuantile(0.99, [{ le: 10, count: 1 }, { le: Infinity, count: 100 }]), 10, 'in the +Inf bucket: the highest finite bound');
  t.ok(Number.isNaN(histogramQuantile(0.5, [{ le: 10, count: 0 }, { le: Infinity, count: 0 }])), 'no observations: NaN');
});

t.test('increase: end minus start, a reset counts from zero, a new series counts whole', async (t) => {
  const start: Snapshot = {
    atMs: 0,
    targets: [{ labels: web, up: true, samples: [{ name: 'response_total', labels: inbound('success'), value: 100 }, { name: 'response_total', labels: inbound('failure'), value: 50 }] }],
  };
  const end: Snapshot = {
    atMs: 10_000,
    targets: [
      {
        labels: web,
        up: true,
        samples: [
          { name: 'response_total', labels: inbound('success'), value: 130 },
          { name: 'response_total', labels: inbound('failure'), value: 5 },
          { name: 'response_total', labels: inbound('success', 'no_identity'), value: 7 },
        ],
      },
    ],
  };
  const source = new LocalSource(history(start, end));
  const range = { fromMs: 0, toMs: 10_000 };
  t.same(await source.increase('response_total', { direction: 'inbound' }, ['deployment', 'classification'], range), [
    { labels: { deployment: 'web', classification: 'success' }, value: 37 },
    { labels: { deployment: 'web', classification: 'failure' }, value: 5 },
  ]);
  t.same(await source.increase('response_total', { tls: 'no_identity' }, [], range), [{ labels: {}, value: 7 }], 'matchers see the series\' own labels');
});

t.test('stats over the local source: success, rps, latency, meshed; an unknown name lists the known ones', async (t) => {
  const at = (atMs: number, n: number, latency: number[], up = true): Snapshot => ({
    atMs,
    targets: [
      { labels: web, up, samples: [{ name: 'response_total', labels: inbound('success'), value: n * 0.9 }, { name: 'response_total', labels: inbound('failure'), value: n * 0.1 }, ...buckets(latency), { name: 'tcp_open_connections', labels: { direction: 'inbound', peer: 'src' }, value: 3 }] },
      { labels: books, up: false, samples: [] },
    ],
  });
  const source = new LocalSource(history(at(0, 0, [0, 0, 0, 0]), at(10_000, 100, [10, 60, 100, 100])));
  const range = { fromMs: 0, toMs: 10_000 };
  const rows = await stats(source, { type: 'deploy', range });
  t.same(rows.map((r) => r.name), ['books', 'web'], 'every proxy is a row, traffic or not');
  const w = rows[1];
  t.equal(w.successRate, 0.9);
  t.equal(w.rps, 10);
  t.same(w.meshed, { ready: 1, total: 1 });
  t.same(rows[0].meshed, { ready: 0, total: 1 }, 'a proxy whose /metrics did not answer is not ready');
  t.equal(w.latencyMs.p50, 1 + 9 * (40 / 50), 'p50 within the 1–10 ms bucket');
  t.equal(w.tcpConnections, 3);
  t.equal(w.mtlsShare, 1);
  await t.rejects(stats(source, { type: 'deploy', name: 'nope', range }), new UnknownResourceName('deploy', 'nope', undefined, ['books', 'web'], 'test snapshots'));
  await t.rejects(stats(source, { type: 'deploy', name: 'nope', range }), { message: 'no deployment "nope"; known: books and web' });
});

t.test('edges: callee from dst_deployment (requests\' and opaque connections\' series alike), CLIENT_ID from the callee\'s inbound client_id', async (t) => {
  const out = (extra: Record<string, string>) => ({ direction: 'outbound', tls: 'true', ...extra });
  const into = (extra: Record<string, string>) => ({ direction: 'inbound', tls: 'true', ...extra });
  const end: Snapshot = {
    atMs: 5000,
    targets: [
      {
        labels: web,
        up: true,
        samples: [
          { name: 'response_total', labels: out({ dst_namespace: 'demo', dst_deployment: 'books', dst_pod: 'books-0', dst_service: 'books', server_id: id('books'), classification: 'success' }), value: 9 },
          { name: 'tcp_open_total', labels: out({ peer: 'dst', dst_namespace: 'demo', dst_deployment: 'books', dst_pod: 'books-0', server_id: id('books') }), value: 1 },
        ],
      },
      {
        labels: books,
        up: true,
        samples: [
          { name: 'response_total', labels: into({ client_id: id('web'), classification: 'success' }), value: 9 },
          { name: 'tcp_open_total', labels: into({ peer: 'src', client_id: id('web') }), value: 1 },
          { name: 'tcp_open_total', labels: out({ peer: 'dst', dst_namespace: 'demo', dst_deployment: 'stock', dst_pod: 'stock-0', server_id: id('stock') }), value: 2 },
        ],
      },
      { labels: stock, up: true, samples: [{ name: 'tcp_open_total', labels: into({ peer: 'src', client_id: id('books') }), value: 2 }] },
    ],
  };
  const source = new LocalSource(history({ atMs: 0, targets: [] }, end));
  const range = { fromMs: 0, toMs: 5000 };
  const found = await edges(source, { type: 'deploy', range });
  t.same(found, [
    { src: 'books', dst: 'stock', srcNamespace: 'demo', dstNamespace: 'demo', clientId: id('books'), serverId: id('stock'), msg: '' },
    { src: 'web', dst: 'books', srcNamespace: 'demo', dstNamespace: 'demo', clientId: id('web'), serverId: id('books'), msg: '' },
  ], 'books → stock is opaque TCP: its connections\' dst_* labels name stock');
  t.same((await edges(source, { type: 'pod', range })).map((e) => [e.src, e.dst, e.clientId]), [
    ['books-0', 'stock-0', id('books')],
    ['web-0', 'books-0', id('web')],
  ], 'the same between pods, by dst_pod');
});

t.test('SnapshotStore keeps an hour and answers a range with the snapshots at its ends', async (t) => {
  const store = new SnapshotStore('s', 3_600_000);
  for (let i = 0; i <= 120; i++) store.add({ atMs: i * 60_000, targets: [] });
  const pair = await store.pair({ fromMs: 119.5 * 60_000, toMs: 120 * 60_000 });
  t.same(pair?.map((s) => s.atMs), [119 * 60_000, 120 * 60_000]);
  t.equal(store.at(0)?.atMs, 60 * 60_000, 'older than an hour is gone');
});
