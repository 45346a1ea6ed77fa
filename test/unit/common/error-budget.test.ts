import t from 'tap';
import { alertFiring, budgetRemaining, burnRate, burnRateAlerts } from '../../../common/error-budget';

const DAY = 86_400;

t.test('burn-rate alerts: 14.4x over 1h/5m and 6x over 6h/30m for 30 days, scaled with the window', async (t) => {
  t.same(burnRateAlerts(30 * DAY), [
    { severity: 'page', longSeconds: 3600, shortSeconds: 300, factor: 14.4 },
    { severity: 'ticket', longSeconds: 21600, shortSeconds: 1800, factor: 6 },
  ]);
  const week = burnRateAlerts(7 * DAY);
  t.equal(week[0].factor.toFixed(2), '3.36', 'the same 2 % of a 7-day budget in an hour');
  t.equal(week[1].factor.toFixed(2), '1.40');
  t.equal(burnRateAlerts(90 * DAY)[0].factor.toFixed(1), '43.2');
});

t.test('burn rate: the failure ratio over the budget', async (t) => {
  t.equal(burnRate({ good: 999, total: 1000 }, 0.999)!.toFixed(6), '1.000000', 'exactly the budget');
  t.equal(burnRate({ good: 900, total: 1000 }, 0.999)!.toFixed(6), '100.000000');
  t.equal(burnRate({ good: 1000, total: 1000 }, 0.999), 0);
  t.equal(burnRate({ good: 0, total: 0 }, 0.999), undefined, 'no requests: no rate');
  t.equal(burnRate({ good: 12, total: 10 }, 0.99), 0, 'counts read at slightly different times stay in range');
});

t.test('budget remaining goes down with time at a steady burn rate, and equals the usual ratio over a full window', async (t) => {
  const counts = { good: 900, total: 1000 }; // burn rate 100 against 99.9 %
  const hour = budgetRemaining(counts, 0.999, 3600, 30 * DAY);
  const twoHours = budgetRemaining(counts, 0.999, 7200, 30 * DAY);
  t.equal(hour.toFixed(6), (1 - 100 / 720).toFixed(6));
  t.ok(twoHours < hour, 'more time at the same rate spends more');
  t.equal(budgetRemaining(counts, 0.999, 30 * DAY, 30 * DAY).toFixed(6), '-99.000000', 'overspent 100 times');
  t.equal(budgetRemaining(counts, 0.999, 60 * DAY, 30 * DAY).toFixed(6), '-99.000000', 'coverage beyond the window counts as the window');
  t.equal(budgetRemaining({ good: 0, total: 0 }, 0.999, 3600, 30 * DAY), 1, 'no requests spend nothing');
  t.equal(budgetRemaining({ good: 995, total: 1000 }, 0.99, 15 * DAY, 30 * DAY).toFixed(6), '0.750000');
});

t.test('an alert fires only when both of its windows pass the factor', async (t) => {
  const [page] = burnRateAlerts(30 * DAY);
  t.equal(alertFiring(page, 20, 15), true);
  t.equal(alertFiring(page, 20, 2), false, 'the short window says it has stopped');
  t.equal(alertFiring(page, 5, 20), false, 'a short spike');
  t.equal(alertFiring(page, undefined, 20), false);
});
