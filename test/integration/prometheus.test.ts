// The golden metrics of `weft demo`'s web workload, scraped by a real Prometheus and read back with the
// PromQL a Linkerd dashboard uses: success rate, requests per second, p99 latency.
import t from 'tap';
import { METRIC } from '../../common/contract';
import { DemoWorkload, delay, startDemo } from '../fixtures/demo';
import { prometheusMissingReason, startPrometheus } from '../fixtures/prometheus';

const RPS = 20;
/** Window of every rate(); the test waits until Prometheus holds this much history. */
const WINDOW_S = 6;
const WORKLOADS: readonly DemoWorkload[] = ['stock', 'books', 'web', 'load'];

t.test('Prometheus reads success rate, rps and p99 of the demo’s web workload', { skip: prometheusMissingReason() ?? false }, async (t) => {
  const [demo, prometheus] = await Promise.all([startDemo(t, ['--duration', '60s', '--rps', String(RPS)]), startPrometheus(t)]);
  await prometheus.setTargets(
    WORKLOADS.map((name) => ({ addr: new URL(demo.info.metricsUrls[name]).host, labels: { namespace: 'demo', deployment: name } })),
  );
  await prometheus.waitForQuery('up', (up) => up.length === WORKLOADS.length && up.every((s) => s.value === 1), 15_000);
  await prometheus.waitForQuery(`count_over_time(up{deployment="web"}[${WINDOW_S}s])`, ([n]) => n !== undefined && n.value >= WINDOW_S, 20_000);

  const web = 'deployment="web",direction="inbound"';
  const rate = (selector: string) => `rate(${selector}[${WINDOW_S}s])`;
  const [success] = await prometheus.query(
    `sum(${rate(`${METRIC.responseTotal}{${web},classification="success"}`)}) / sum(${rate(`${METRIC.responseTotal}{${web}}`)})`,
  );
  const [rps] = await prometheus.query(`sum(${rate(`${METRIC.requestTotal}{${web}}`)})`);
  const [p99] = await prometheus.query(`histogram_quantile(0.99, sum by (le) (${rate(`${METRIC.responseLatencyMs}_bucket{${web}}`)}))`);

  t.ok(success && success.value > 0 && success.value < 1, `success rate is strictly between 0 and 1 (the load sends 10 % to a failing book): ${success?.value}`);
  t.ok(rps && rps.value > RPS * 0.5 && rps.value < RPS * 1.5, `requests per second are near the load generator's ${RPS}: ${rps?.value}`);
  t.ok(p99 && p99.value > 0 && Number.isFinite(p99.value), `p99 latency is a positive number of ms: ${p99?.value}`);

  demo.child.kill('SIGINT');
  t.equal(await Promise.race([demo.exited, delay(15_000).then(() => 'still running')]), 0, 'the demo stops cleanly');
});
