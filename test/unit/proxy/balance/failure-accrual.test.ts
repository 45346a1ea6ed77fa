import t from 'tap';
import { FailureAccrual, MAX_BACKOFF_MS, MAX_CONSECUTIVE_FAILURES, MIN_BACKOFF_MS } from '../../../../proxy/balance/failure-accrual';
import { FakeClock } from './fake-clock';

function failTimes(accrual: FailureAccrual, n: number): void {
  for (let i = 0; i < n; i++) accrual.failure();
}

t.test('7 consecutive failures take an endpoint out; fewer do not', async (t) => {
  const accrual = new FailureAccrual(new FakeClock());
  failTimes(accrual, MAX_CONSECUTIVE_FAILURES - 1);
  t.ok(accrual.available(), '6 failures: still in');
  accrual.success();
  failTimes(accrual, MAX_CONSECUTIVE_FAILURES - 1);
  t.ok(accrual.available(), 'a success in between resets the count');
  accrual.failure();
  t.notOk(accrual.available(), 'the 7th in a row: out');
});

t.test('an endpoint out is probed after 1 s, with one request only', async (t) => {
  const clock = new FakeClock();
  const accrual = new FailureAccrual(clock);
  failTimes(accrual, MAX_CONSECUTIVE_FAILURES);
  clock.advance(MIN_BACKOFF_MS - 1);
  t.notOk(accrual.available(), 'not before the backoff');
  clock.advance(1);
  t.ok(accrual.available(), 'due for a probe');
  accrual.picked();
  t.notOk(accrual.available(), 'one probe at a time');
  accrual.success();
  t.ok(accrual.available(), 'a successful probe puts it back in');
  t.notOk(accrual.isOut);
});

t.test('failed probes double the backoff up to 1 min; success resets it', async (t) => {
  const clock = new FakeClock();
  const accrual = new FailureAccrual(clock);
  failTimes(accrual, MAX_CONSECUTIVE_FAILURES);
  const waits: number[] = [];
  for (let probe = 0; probe < 9; probe++) {
    let waited = 0;
    while (!accrual.available() && waited < 10 * MAX_BACKOFF_MS) {
      clock.advance(100);
      waited += 100;
    }
    waits.push(waited);
    accrual.picked();
    accrual.failure();
  }
  t.same(waits, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  clock.advance(MAX_BACKOFF_MS);
  accrual.picked();
  accrual.success();
  failTimes(accrual, MAX_CONSECUTIVE_FAILURES);
  clock.advance(MIN_BACKOFF_MS);
  t.ok(accrual.available(), 'after a success the backoff starts again at 1 s');
});

t.test('a probe that ends without an outcome lets another request probe', async (t) => {
  const clock = new FakeClock();
  const accrual = new FailureAccrual(clock);
  failTimes(accrual, MAX_CONSECUTIVE_FAILURES);
  clock.advance(MIN_BACKOFF_MS);
  accrual.picked();
  accrual.inconclusive();
  t.ok(accrual.available());
});
