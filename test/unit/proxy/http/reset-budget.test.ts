// The rapid-reset token bucket, on a clock the test moves.
import t from 'tap';
import { ResetBudget } from '../../../../proxy/http/reset-budget';
import { FakeClock } from '../balance/fake-clock';

t.test('a burst is allowed, then resets at the steady rate, and no more', async (t) => {
  const clock = new FakeClock();
  const budget = new ResetBudget({ burst: 5, perSecond: 10 }, clock);
  for (let i = 0; i < 5; i++) t.ok(budget.spend(), `reset ${i + 1} of the burst`);
  t.notOk(budget.spend(), 'the sixth at once is over budget');
  clock.advance(100);
  t.ok(budget.spend(), 'one token is back after 100 ms at 10/s');
  t.notOk(budget.spend(), 'but only one');
  clock.advance(60_000);
  for (let i = 0; i < 5; i++) t.ok(budget.spend(), `after a quiet minute, burst reset ${i + 1}`);
  t.notOk(budget.spend(), 'tokens never pile up past the burst');
});

t.test('a client resetting at the steady rate is never cut off', async (t) => {
  const clock = new FakeClock();
  const budget = new ResetBudget({ burst: 2, perSecond: 10 }, clock);
  let refused = 0;
  for (let i = 0; i < 1000; i++) {
    clock.advance(100);
    if (!budget.spend()) refused++;
  }
  t.equal(refused, 0);
});
