import t from 'tap';
import { systemClock } from '../../../common/clock';
import { EvictReason, IdleCache } from '../../../common/idle-cache';
import { FakeClock } from '../proxy/balance/fake-clock';

const IDLE_MS = 1_000;

function setup(inUse?: (value: string) => boolean) {
  const clock = new FakeClock();
  const evicted: [string, string, EvictReason][] = [];
  const cache = new IdleCache<string, string>({ idleMs: IDLE_MS, clock, inUse, onEvict: (value, key, reason) => evicted.push([key, value, reason]) });
  return { clock, cache, evicted };
}

t.test('creates once and hands back the same value while in use', async (t) => {
  const { cache } = setup();
  let made = 0;
  const create = (key: string) => `${key}-${++made}`;
  t.equal(cache.getOrCreate('a', create), 'a-1');
  t.equal(cache.getOrCreate('a', create), 'a-1');
  t.equal(cache.get('a'), 'a-1');
  t.equal(cache.get('b'), undefined);
  t.equal(made, 1);
  t.equal(cache.size, 1);
});

t.test('an entry unused for idleMs is evicted by the sweep, between idleMs and 1.5 × idleMs after its last use', async (t) => {
  const { clock, cache, evicted } = setup();
  cache.getOrCreate('a', () => 'A');
  clock.advance(IDLE_MS - 1);
  t.same(evicted, [], 'not yet idle for idleMs');
  clock.advance(IDLE_MS / 2 + 1);
  t.same(evicted, [['a', 'A', 'idle']]);
  t.equal(cache.size, 0);
  t.equal(cache.get('a'), undefined);
  t.equal(clock.pendingTimers, 0, 'an empty cache keeps no timer');
});

t.test('every use restarts the idle time', async (t) => {
  const { clock, cache, evicted } = setup();
  cache.getOrCreate('a', () => 'A');
  cache.getOrCreate('b', () => 'B');
  for (let i = 0; i < 10; i++) {
    clock.advance(IDLE_MS / 2);
    cache.get('a');
  }
  t.same(evicted, [['b', 'B', 'idle']], 'only the unused entry went');
  t.equal(cache.get('a'), 'A');
});

t.test('one sweep timer for the whole cache, however many entries', async (t) => {
  const { clock, cache } = setup();
  for (let i = 0; i < 100; i++) cache.getOrCreate(`k${i}`, (k) => k);
  t.equal(clock.pendingTimers, 1);
});

t.test('delete removes at once and says so; unknown keys are ignored', async (t) => {
  const { clock, cache, evicted } = setup();
  cache.getOrCreate('a', () => 'A');
  t.equal(cache.delete('a'), true);
  t.equal(cache.delete('a'), false);
  t.same(evicted, [['a', 'A', 'removed']]);
  t.equal(clock.pendingTimers, 0);
  t.equal(cache.getOrCreate('a', () => 'A2'), 'A2', 'a removed key can come back as a new entry');
});

t.test('entries in use stay however long they go unused', async (t) => {
  const busy = new Set(['a']);
  const { clock, cache, evicted } = setup((value) => busy.has(value));
  cache.getOrCreate('a', () => 'a');
  clock.advance(IDLE_MS * 10);
  t.same(evicted, []);
  busy.delete('a');
  clock.advance(IDLE_MS * 2);
  t.same(evicted, [['a', 'a', 'idle']], 'evicted once it is idle and no longer in use');
});

t.test('clear evicts everything and stops the sweep', async (t) => {
  const { clock, cache, evicted } = setup();
  cache.getOrCreate('a', () => 'A');
  cache.getOrCreate('b', () => 'B');
  cache.clear();
  t.same(evicted, [
    ['a', 'A', 'cleared'],
    ['b', 'B', 'cleared'],
  ]);
  t.equal(clock.pendingTimers, 0);
});

t.test('has and values do not count as a use', async (t) => {
  const { clock, cache, evicted } = setup();
  cache.getOrCreate('a', () => 'A');
  clock.advance(IDLE_MS - 1);
  t.ok(cache.has('a'));
  t.same(cache.values(), ['A']);
  clock.advance(IDLE_MS);
  t.same(evicted, [['a', 'A', 'idle']]);
});

t.test('an eviction callback may use the cache', async (t) => {
  const clock = new FakeClock();
  const cache: IdleCache<string, string> = new IdleCache({ idleMs: IDLE_MS, clock, onEvict: (_v, key) => void (key === 'a' && cache.getOrCreate('b', () => 'B')) });
  cache.getOrCreate('a', () => 'A');
  clock.advance(IDLE_MS);
  t.same(cache.values(), ['B']);
  t.equal(clock.pendingTimers, 1, 'the sweep is armed again for the new entry');
});

t.test('the real sweep timer does not keep the process alive', async (t) => {
  const cache = new IdleCache<string, string>({ idleMs: 60_000, clock: systemClock });
  cache.getOrCreate('a', () => 'A');
  const timer = (cache as unknown as { sweepTimer: NodeJS.Timeout }).sweepTimer;
  t.equal(timer.hasRef(), false);
  cache.clear();
});
