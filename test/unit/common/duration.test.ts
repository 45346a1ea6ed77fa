import t from 'tap';
import { formatDuration, parseDuration } from '../../../common/duration';

t.test('parses the contract duration forms', async (t) => {
  t.equal(parseDuration('250ms'), 250);
  t.equal(parseDuration('10s'), 10_000);
  t.equal(parseDuration('1m'), 60_000);
  t.equal(parseDuration('24h'), 86_400_000);
  t.equal(parseDuration('1.5s'), 1500);
});

t.test('rejects numbers without a unit and nonsense', async (t) => {
  for (const bad of ['10', '', 's', '10 parsecs', '-1s', '1d']) t.equal(parseDuration(bad), undefined, bad);
});

t.test('formats the largest whole unit', async (t) => {
  t.equal(formatDuration(86_400_000), '24h');
  t.equal(formatDuration(90_000), '90s');
  t.equal(formatDuration(250), '250ms');
});
