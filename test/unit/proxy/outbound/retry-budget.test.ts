import t from 'tap';
import { BUDGET_WINDOW_MS, RetryBudget } from '../../../../proxy/outbound/retry-budget';
import { FakeClock } from '../balance/fake-clock';

function withdrawAll(budget: RetryBudget, max: number): number {
  let n = 0;
  while (n < max && budget.withdraw()) n++;
  return n;
}

t.test('with no requests, 10 retries per second over 10 s are allowed', async (t) => {
  const budget = new RetryBudget(new FakeClock());
  t.equal(withdrawAll(budget, 1000), 100);
});

t.test('requests add 20 % to that', async (t) => {
  const budget = new RetryBudget(new FakeClock());
  for (let i = 0; i < 1000; i++) budget.deposit();
  t.equal(withdrawAll(budget, 10_000), 300);
});

t.test('the window slides: after 10 s the spent retries and old requests are forgotten', async (t) => {
  const clock = new FakeClock();
  const budget = new RetryBudget(clock);
  for (let i = 0; i < 500; i++) budget.deposit();
  t.equal(withdrawAll(budget, 10_000), 200);
  clock.advance(BUDGET_WINDOW_MS / 2);
  t.equal(withdrawAll(budget, 10_000), 0, 'half-way through the window, still spent');
  clock.advance(BUDGET_WINDOW_MS);
  t.equal(withdrawAll(budget, 10_000), 100, 'a window later: only the per-second allowance');
});

t.test('a steady 50 % failure rate is held to 20 % retries plus the allowance', async (t) => {
  const clock = new FakeClock();
  const budget = new RetryBudget(clock);
  let requests = 0;
  let retries = 0;
  for (let second = 0; second < 60; second++) {
    for (let i = 0; i < 1000; i++) {
      budget.deposit();
      requests++;
      if (i % 2 === 0 && budget.withdraw()) retries++;
    }
    clock.advance(1000);
  }
  t.ok(retries <= requests * 0.2 + 600, `${retries} retries for ${requests} requests`);
  t.ok(retries >= requests * 0.2, 'and the budget is actually used');
});
