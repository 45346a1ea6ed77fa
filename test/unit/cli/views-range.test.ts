// The time a view covers: -t (a window ending now or at --until) or --since/--until, and the errors for bad input.
import t from 'tap';
import { UsageError } from '../../../common/errors';
import { parseResource } from '../../../common/views/resources';
import { timeRange } from '../../../cli/views/range';

const now = Date.parse('2026-01-02T15:00:00Z');

t.test('-t, --since and --until', async (t) => {
  t.same(timeRange({}, now), { fromMs: now - 60_000, toMs: now }, 'the last minute by default');
  t.same(timeRange({ timeWindow: '10s' }, now), { fromMs: now - 10_000, toMs: now });
  t.same(timeRange({ timeWindow: '5m', until: '-10m' }, now), { fromMs: now - 15 * 60_000, toMs: now - 10 * 60_000 }, 'a window ending at --until');
  t.same(timeRange({ since: '2026-01-02T14:00:00Z', until: 'now-30m' }, now), { fromMs: now - 3_600_000, toMs: now - 1_800_000 });
  t.same(timeRange({ since: String(now - 5000) }, now), { fromMs: now - 5000, toMs: now }, 'epoch milliseconds');
});

t.test('bad ranges are usage errors that say what is expected', async (t) => {
  t.throws(() => timeRange({ timeWindow: 'soon' }, now), new UsageError('-t "soon" is not a window: expected a number with a unit: 250ms, 10s, 1m, 24h, at least 1s'));
  t.throws(() => timeRange({ since: 'yesterday-ish' }, now), { name: 'UsageError', message: /^--since "yesterday-ish" is not a time: expected an RFC 3339 time/ });
  t.throws(() => timeRange({ since: '-1m', until: '-2m' }, now), { message: /^--since must be before --until/ });
  t.throws(() => timeRange({ since: '-1m', timeWindow: '1m' }, now), { message: 'give either -t (a window ending at --until) or --since, not both' });
  t.throws(() => timeRange({ until: 'now-1h', since: '2027-01-01T00:00:00Z' }, now), { message: /^--since must be before --until/ });
  t.throws(() => timeRange({ until: 'now+1h' }, now), { message: /^--until "now\+1h" is not a time/ });
});

t.test('resource types as kubectl spells them', async (t) => {
  t.same(parseResource('deployment/web', undefined), { type: 'deploy', name: 'web' });
  t.same(parseResource('po', 'web-0'), { type: 'pod', name: 'web-0' });
  t.same(parseResource('svc', undefined), { type: 'svc', name: undefined });
  t.throws(() => parseResource('ns', undefined, ['deploy', 'pod']), new UsageError('unknown resource type "ns": use deploy or pod'));
  t.throws(() => parseResource('deploy/web', 'books'), { message: '"deploy/web" books is not a resource: write TYPE, TYPE NAME or TYPE/NAME, e.g. deploy/web' });
});
