import t from 'tap';
import { EndpointLoad } from '../../../../proxy/balance/endpoint-load';
import { MAX_CONSECUTIVE_FAILURES } from '../../../../proxy/balance/failure-accrual';
import { pickP2C } from '../../../../proxy/balance/p2c';
import { FakeClock, sequence } from './fake-clock';

function loads(clock: FakeClock, latencies: number[]): EndpointLoad[] {
  return latencies.map((ms, i) => {
    const load = new EndpointLoad({ addr: { host: '127.0.0.1', port: 1000 + i }, key: `127.0.0.1:${1000 + i}`, labels: {} }, clock);
    load.latency.observe(ms);
    return load;
  });
}

t.test('of the two drawn, the cheaper wins', async (t) => {
  const clock = new FakeClock();
  const [fast, slow] = loads(clock, [10, 100]);
  t.equal(pickP2C([slow, fast], sequence(0, 0)), fast);
  t.equal(pickP2C([fast, slow], sequence(0, 0)), fast);
});

t.test('pending requests count: a busy fast endpoint loses to an idle slower one', async (t) => {
  const clock = new FakeClock();
  const [fast, slower] = loads(clock, [10, 30]);
  for (let i = 0; i < 5; i++) fast.lease();
  t.equal(pickP2C([fast, slower], sequence(0, 0)), slower, '10 ms × 6 pending > 30 ms × 1');
});

t.test('the two draws are distinct and every endpoint can be drawn', async (t) => {
  const clock = new FakeClock();
  const all = loads(clock, [10, 10, 10, 10]);
  const seen = new Set<EndpointLoad>();
  const random = sequence(0, 0.99, 0.3, 0.6, 0.6, 0.1, 0.99, 0.0);
  for (let i = 0; i < 8; i++) seen.add(pickP2C(all, random)!);
  t.equal(seen.size, 4);
});

t.test('endpoints taken out by failure accrual are not drawn; none available gives undefined', async (t) => {
  const clock = new FakeClock();
  const [a, b] = loads(clock, [10, 100]);
  for (let i = 0; i < MAX_CONSECUTIVE_FAILURES; i++) a.accrual.failure();
  for (let i = 0; i < 20; i++) t.equal(pickP2C([a, b], Math.random), b);
  for (let i = 0; i < MAX_CONSECUTIVE_FAILURES; i++) b.accrual.failure();
  t.equal(pickP2C([a, b], Math.random), undefined);
});

t.test('a retry avoids the endpoint it failed on unless that is the only one', async (t) => {
  const clock = new FakeClock();
  const [fast, slow] = loads(clock, [10, 100]);
  for (let i = 0; i < 10; i++) t.equal(pickP2C([fast, slow], Math.random, fast), slow);
  t.equal(pickP2C([fast], Math.random, fast), fast);
});
