import t from 'tap';
import { SLO } from '../../../common/contract';
import { formatLatencyObjective, formatPercent, ObjectiveText, parseObjective } from '../../../common/slo';

const parse = (text: ObjectiveText) => parseObjective(text, SLO);

t.test('the annotations of the contract, and the default window of 30 days', async (t) => {
  t.same(parse({ successRate: '99.9', latency: '300ms@99', window: '30d' }), {
    kind: 'objective',
    objective: { successRate: 0.999, latency: { thresholdMs: 300, ratio: 0.99 }, windowSeconds: 2_592_000 },
  });
  t.same(parse({ successRate: '99.5%' }), { kind: 'objective', objective: { successRate: 0.995, windowSeconds: 2_592_000 } });
  t.same(parse({ latency: '1s@99.9', window: '7d' }), { kind: 'objective', objective: { latency: { thresholdMs: 1000, ratio: 0.999 }, windowSeconds: 604_800 } });
  t.same(parse({ successRate: '90', window: '24h' }), { kind: 'objective', objective: { successRate: 0.9, windowSeconds: 86_400 } });
});

t.test('no success-rate and no latency: no objective, whatever the window says', async (t) => {
  t.same(parse({}), { kind: 'none' });
  t.same(parse({ window: '7d' }), { kind: 'none' });
});

t.test('a latency threshold that is not a bucket bound is refused with the nearest bounds', async (t) => {
  t.same(parse({ latency: '250ms@99' }), {
    kind: 'invalid',
    reason: 'slo.weft.io/latency="250ms@99" is not valid: 250ms is not a bucket bound of response_latency_ms; the nearest are 200ms and 300ms',
  });
  t.match(parse({ latency: '1.5s@99' }), { reason: /1500ms is not a bucket bound .* nearest are 1000ms and 2000ms$/ });
  t.match(parse({ latency: '60s@99' }), { reason: /60000ms is not a bucket bound .* nearest is 50000ms$/ });
  t.match(parse({ latency: '500us@99' }), { reason: /expected <threshold>@<percent>/ });
});

t.test('each bad value names its annotation and the form it takes', async (t) => {
  const cases: [ObjectiveText, RegExp][] = [
    [{ successRate: '100' }, /^slo\.weft\.io\/success-rate="100" is not valid: expected a percentage above 0 and below 100/],
    [{ successRate: '0' }, /success-rate="0"/],
    [{ successRate: 'high' }, /success-rate="high"/],
    [{ successRate: '-5' }, /success-rate="-5"/],
    [{ latency: '300ms' }, /^slo\.weft\.io\/latency="300ms" is not valid: expected <threshold>@<percent>/],
    [{ latency: '300ms@100' }, /latency="300ms@100"/],
    [{ latency: '300@99' }, /latency="300@99"/],
    [{ successRate: '99', window: 'a month' }, /^slo\.weft\.io\/window="a month" is not valid: expected a duration like 30d/],
    [{ successRate: '99', window: '30m' }, /window="30m" is not valid: expected a window from 1h to 365d/],
    [{ successRate: '99', window: '400d' }, /window="400d" is not valid: expected a window from 1h to 365d/],
  ];
  for (const [text, reason] of cases) t.match(parse(text), { kind: 'invalid', reason }, JSON.stringify(text));
});

t.test('the objective written back as the annotations spell it', async (t) => {
  t.equal(formatLatencyObjective({ thresholdMs: 300, ratio: 0.99 }), '300ms@99');
  t.equal(formatPercent(0.999), '99.9');
  t.equal(formatPercent(0.9999), '99.99');
});
