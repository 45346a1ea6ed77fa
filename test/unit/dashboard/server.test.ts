import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { Test } from 'tap';
import { createLogger } from '../../../common/log';
import type { Matchers, MetricsSource, Row, TimeRange } from '../../../common/views/source';
import { matches } from '../../../common/views/source';
import type { Sample } from '../../../common/views/exposition';
import { objectivesOf } from '../../../dashboard/objectives';
import { createDashboardServer } from '../../../dashboard/server';

const NOW = 1_700_000_000_000;
const HOUR_MS = 3_600_000;

/**
 * Answers `increase` as a service seen by its callers would over any range: a steady 10 responses a second,
 * of which `failing` fail and `slow` are slower than 300 ms, from `sinceMs` on.
 */
class SteadyTraffic implements MetricsSource {
  readonly description = 'steady test traffic';
  constructor(
    private readonly sinceMs: number,
    private readonly failing: number,
    private readonly slow: number,
  ) {}
  async increase(metric: string, match: Matchers, _by: readonly string[], range: TimeRange): Promise<Row[]> {
    const seconds = Math.max(0, range.toMs - Math.max(range.fromMs, this.sinceMs)) / 1000;
    const total = 10 * seconds;
    const series: Row[] = [
      { labels: { direction: 'outbound', dst_namespace: 'demo', dst_service: 'books', classification: 'success' }, value: total * (1 - this.failing) },
      { labels: { direction: 'outbound', dst_namespace: 'demo', dst_service: 'books', classification: 'failure' }, value: total * this.failing },
    ];
    if (metric === 'response_latency_ms_bucket') {
      const all = { direction: 'outbound', dst_namespace: 'demo', dst_service: 'books' };
      return [
        { labels: { ...all, le: '300' }, value: total * (1 - this.slow) },
        { labels: { ...all, le: '+Inf' }, value: total },
      ].filter((r) => matches(r.labels, match));
    }
    return series.filter((r) => matches(r.labels, match));
  }
  async current(): Promise<Row[]> {
    return [];
  }
  async quantile(): Promise<Row[]> {
    return [];
  }
  async targets(): Promise<Row[]> {
    return [];
  }
}

async function serve(t: Test, source: MetricsSource, dataSinceMs?: number) {
  const server = createDashboardServer({
    source,
    objectives: async () => [{ namespace: 'demo', service: 'books', objective: { successRate: 0.99, latency: { thresholdMs: 300, ratio: 0.99 }, windowSeconds: 86_400 } }],
    dataSinceMs,
    log: createLogger('test', 'silent', 'json'),
    clock: () => NOW,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return (path: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      http.get(`${base}${path}`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      }).on('error', reject);
    });
}

t.test('the SLO API: budget left over the time with data, burn rates per window, alerts against scaled factors', async (t) => {
  // 10 % failures against 99 %: burn rate 10; 2 % slower than 300 ms against 99 %: burn rate 2; one hour of data.
  const get = await serve(t, new SteadyTraffic(NOW - HOUR_MS, 0.1, 0.02), NOW - HOUR_MS);
  const res = await get('/api/slos');
  t.equal(res.status, 200);
  const [books] = JSON.parse(res.body).services;
  t.match(books, { namespace: 'demo', service: 'books', windowSeconds: 86_400 });
  const [success, latency] = books.objectives;
  t.equal(success.kind, 'success-rate');
  t.equal(success.coveredSeconds, 3600);
  t.equal(success.budgetRemaining.toFixed(6), (1 - 10 / 24).toFixed(6), 'an hour at 10x spends 10/24 of a day');
  t.same(Object.values(success.burnRates).map((r) => (r as number).toFixed(6)), ['10.000000', '10.000000', '10.000000', '10.000000']);
  t.same(success.alerts.map((a: { factor: number; firing: boolean }) => [a.factor.toFixed(2), a.firing]), [['0.48', true], ['0.20', true]], 'factors scaled for a 1-day window');
  t.match(latency, { kind: 'latency', le: 300, target: 0.99 });
  t.equal(latency.budgetRemaining.toFixed(6), (1 - 2 / 24).toFixed(6));
});

t.test('without traffic nothing is spent and no burn rate is made up', async (t) => {
  const get = await serve(t, new SteadyTraffic(NOW + 1, 0.5, 0.5), NOW - HOUR_MS);
  const [success] = JSON.parse((await get('/api/slos')).body).services[0].objectives;
  t.equal(success.budgetRemaining, 1);
  t.same(success.burnRates, { '5m': null, '30m': null, '1h': null, '6h': null });
  t.same(success.alerts.map((a: { firing: boolean }) => a.firing), [false, false]);
});

t.test('the app and its API answer with a self-only CSP; bad requests get a reason', async (t) => {
  const get = await serve(t, new SteadyTraffic(NOW - HOUR_MS, 0, 0));
  const page = await get('/');
  t.equal(page.status, 200);
  t.match(page.headers['content-security-policy'], /default-src 'none'; script-src 'self'/);
  t.match(page.body, /<script src="\/app.js"/);
  t.notMatch(page.body, /https?:\/\//, 'the page names no other origin');
  const app = await get('/app.js');
  t.equal(app.headers['content-type'], 'text/javascript; charset=utf-8');
  t.notMatch(app.body.replace('http://www.w3.org/2000/svg', ''), /https?:\/\//, 'the app fetches nothing from elsewhere');
  const bad = await get('/api/overview?window=42');
  t.equal(bad.status, 400);
  t.same(JSON.parse(bad.body), { error: 'window="42" is not offered: use one of 60, 300, 900, 3600 (seconds)' });
  t.equal((await get('/nope')).status, 404);
  t.same(JSON.parse((await get('/api/windows')).body), { windowsSeconds: [60, 300, 900, 3600] });
});

t.test("objectives read back from the controller's gauges", async (t) => {
  const samples: Sample[] = [
    { name: 'slo_window_seconds', labels: { namespace: 'demo', service: 'books' }, value: 86_400 },
    { name: 'slo_success_rate_objective', labels: { namespace: 'demo', service: 'books' }, value: 0.99 },
    { name: 'slo_latency_objective', labels: { namespace: 'demo', service: 'books', le: '300' }, value: 0.99 },
    { name: 'slo_success_rate_objective', labels: { namespace: 'demo', service: 'orphan' }, value: 0.9 },
  ];
  t.same(objectivesOf(samples), [{ namespace: 'demo', service: 'books', objective: { windowSeconds: 86_400, successRate: 0.99, latency: { thresholdMs: 300, ratio: 0.99 } } }]);
});
