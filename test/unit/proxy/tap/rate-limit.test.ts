// A tap's rate bound with a driven clock: a second's worth at once, then as time passes, never more banked.
import t from 'tap';
import { RateLimit } from '../../../../proxy/tap/rate-limit';

t.test('tokens refill with time up to one second\'s worth', async (t) => {
  let now = 0;
  const rate = new RateLimit(5, () => now);
  const taken = (n: number) => Array.from({ length: n }, () => rate.take()).filter(Boolean).length;
  t.equal(taken(10), 5, 'a burst gets one second\'s worth');
  now += 200;
  t.equal(taken(10), 1, '200 ms later: one more');
  now += 60_000;
  t.equal(taken(100), 5, 'a long quiet spell banks no more than a second\'s worth');
});
