import t from 'tap';
import { METRIC } from '../../../../common/contract';
import { MAX_AUTHORITIES, TargetCache } from '../../../../proxy/http/targets';
import type { Target } from '../../../../proxy/http/sink';
import { outboundLabels } from '../../../../proxy/metrics/labels';
import { ProxyRegistry } from '../../../../proxy/metrics/registry';
import type { Endpoint } from '../../../../proxy/discovery/types';
import { FakeClock } from '../balance/fake-clock';

const IDLE_MS = 60_000;
const at = (port: number): Endpoint => ({ addr: { host: '127.0.0.1', port }, key: `127.0.0.1:${port}`, labels: {} });

function setup() {
  const clock = new FakeClock();
  const registry = new ProxyRegistry({ idleMs: IDLE_MS, clock });
  t.teardown(() => registry.eventLoopDelay.stop());
  const forgotten: Target[] = [];
  const targets = new TargetCache(registry, (authority, endpoint) => outboundLabels(authority, endpoint), { idleMs: IDLE_MS, clock }, (target) => forgotten.push(target));
  const series = async (name: string) => (await registry.registry.getSingleMetric(name)!.get()).values.length;
  return { clock, registry, targets, forgotten, series };
}

t.test('the same target for the same authority and endpoint, so no labels are built per request', async (t) => {
  const { targets } = setup();
  t.equal(targets.get('web.test:80', at(1)), targets.get('web.test:80', at(1)));
  t.not(targets.get('web.test:80', at(1)), targets.get('web.test:80', at(2)));
});

t.test('an unused target keeps its series for the idle timeout, then they leave the registry', async (t) => {
  const { clock, targets, forgotten, series } = setup();
  const target = targets.get('web.test:80', at(1));
  target.metrics.request();
  target.metrics.response(200, undefined, 3);
  target.metrics.response(503, undefined, 1, 'fail-fast');
  t.equal(await series(METRIC.requestTotal), 1);
  t.equal(await series(METRIC.responseTotal), 2);

  clock.advance(IDLE_MS - 1);
  t.equal(await series(METRIC.requestTotal), 1, 'still scraped just before the idle timeout');
  clock.advance(IDLE_MS);
  t.equal(await series(METRIC.requestTotal), 0, 'request_total gone');
  t.equal(await series(METRIC.responseTotal), 0, 'response_total gone');
  t.equal(await series(METRIC.responseLatencyMs), 0, 'response_latency_ms gone');
  t.same(forgotten, [target], 'the owner was told');

  target.metrics.response(200, undefined, 1);
  t.equal(await series(METRIC.responseTotal), 0, 'a late response of a forgotten target brings nothing back');
  const again = targets.get('web.test:80', at(1));
  t.not(again, target, 'a new request makes a new target');
  again.metrics.request();
  t.equal(await series(METRIC.requestTotal), 1);
});

t.test('a target in use stays while its idle neighbour goes', async (t) => {
  const { clock, targets, series } = setup();
  targets.get('web.test:80', at(1)).metrics.request();
  targets.get('web.test:80', at(2)).metrics.request();
  for (let i = 0; i < 4; i++) {
    clock.advance(IDLE_MS / 2);
    targets.get('web.test:80', at(1)).metrics.request();
  }
  t.equal(await series(METRIC.requestTotal), 1, 'only the used one is left');
});

t.test(`past ${MAX_AUTHORITIES} authorities, new ones share one overflow target per endpoint`, async (t) => {
  const { clock, targets, series } = setup();
  for (let i = 0; i < MAX_AUTHORITIES; i++) targets.get(`a${i}.test:80`, at(1)).metrics.request();
  const overflow = targets.get('one-more.test:80', at(1));
  t.equal(overflow.authority, '_overflow');
  t.equal(targets.get('and-another.test:80', at(1)), overflow);
  t.equal(targets.get('a0.test:80', at(1)).authority, 'a0.test:80', 'known authorities keep their own');
  overflow.metrics.request();
  t.equal(await series(METRIC.requestTotal), MAX_AUTHORITIES + 1);
  clock.advance(IDLE_MS * 2);
  t.equal(await series(METRIC.requestTotal), 0, 'all forgotten once idle');
  t.equal(targets.get('fresh.test:80', at(1)).authority, 'fresh.test:80', 'and then new authorities get their own again');
});
