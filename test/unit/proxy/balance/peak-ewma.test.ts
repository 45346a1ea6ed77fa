import t from 'tap';
import { DECAY_MS, DEFAULT_LATENCY_MS, PeakEwma } from '../../../../proxy/balance/peak-ewma';
import { FakeClock } from './fake-clock';

t.test('a new endpoint is assumed to take 30 ms', async (t) => {
  const clock = new FakeClock();
  t.equal(new PeakEwma(clock).estimate(), DEFAULT_LATENCY_MS);
});

t.test('a sample above the estimate replaces it at once (peak-sensitive)', async (t) => {
  const clock = new FakeClock();
  const ewma = new PeakEwma(clock);
  ewma.observe(300);
  t.equal(ewma.estimate(), 300);
});

t.test('lower samples pull the estimate down gradually, not at once', async (t) => {
  const clock = new FakeClock();
  const ewma = new PeakEwma(clock);
  ewma.observe(300);
  clock.advance(1000);
  ewma.observe(10);
  const after = ewma.estimate();
  t.ok(after < 300 && after > 200, `one fast sample after 1 s moves 300 only part way: ${after}`);
});

t.test('without samples the estimate decays towards zero with time constant 10 s', async (t) => {
  const clock = new FakeClock();
  const ewma = new PeakEwma(clock);
  ewma.observe(100);
  clock.advance(DECAY_MS);
  t.ok(Math.abs(ewma.estimate() - 100 / Math.E) < 0.01, `after τ: 100/e, got ${ewma.estimate()}`);
});

t.test('cost grows with pending requests', async (t) => {
  const clock = new FakeClock();
  const ewma = new PeakEwma(clock);
  ewma.observe(50);
  t.equal(ewma.cost(0), 50);
  t.equal(ewma.cost(3), 200);
});
