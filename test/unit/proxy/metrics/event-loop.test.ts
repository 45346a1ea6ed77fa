import { Registry } from 'prom-client';
import t from 'tap';
import { METRIC } from '../../../../common/contract';
import { EVENT_LOOP_DELAY_BUCKETS_S, EventLoopDelayHistogram } from '../../../../proxy/metrics/event-loop';

const NAME = METRIC.eventLoopDelaySeconds;
const BLOCK_MS = 120;

interface Scraped {
  buckets: Map<string, number>;
  sum: number;
  count: number;
}

function parse(text: string): Scraped {
  const buckets = new Map<string, number>();
  let sum = NaN;
  let count = NaN;
  for (const line of text.split('\n')) {
    const bucket = new RegExp(`^${NAME}_bucket\\{le="([^"]+)"\\} (\\S+)$`).exec(line);
    if (bucket) buckets.set(bucket[1], Number(bucket[2]));
    if (line.startsWith(`${NAME}_sum `)) sum = Number(line.split(' ')[1]);
    if (line.startsWith(`${NAME}_count `)) count = Number(line.split(' ')[1]);
  }
  return { buckets, sum, count };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function blockFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

t.test('exports a Prometheus histogram of event-loop delay that sees a blocked loop', async (t) => {
  const registry = new Registry();
  const histogram = new EventLoopDelayHistogram(registry);
  t.teardown(() => histogram.stop());

  await sleep(200);
  const text = await registry.metrics();
  t.match(text, `# TYPE ${NAME} histogram`);
  const first = parse(text);
  t.same([...first.buckets.keys()], [...EVENT_LOOP_DELAY_BUCKETS_S.map(String), '+Inf'], 'the buckets, in order');
  t.ok(first.count > 0, `samples were taken (${first.count})`);
  t.equal(first.buckets.get('+Inf'), first.count, '+Inf is the count');

  blockFor(BLOCK_MS);
  await sleep(100);
  const second = parse(await registry.metrics());
  t.ok(second.count > first.count, 'counts accumulate across scrapes');
  const values = [...second.buckets.values()];
  t.ok(
    values.every((v, i) => i === 0 || v >= values[i - 1]),
    `cumulative buckets never decrease: ${values.join(' ')}`,
  );
  for (const [le, value] of first.buckets) t.ok((second.buckets.get(le) ?? 0) >= value, `bucket le=${le} did not go down`);
  const under100ms = second.buckets.get('0.1')!;
  t.ok(under100ms < second.count, `the ${BLOCK_MS} ms stall is above the 0.1 s bucket (${under100ms} of ${second.count})`);
  t.ok(second.buckets.get('0.25')! === second.count, 'and under the 0.25 s one');
  t.ok(second.sum >= (BLOCK_MS - 20) / 1000, `the sum holds the stall: ${second.sum} s`);
});

t.test('a scrape with no new samples changes nothing', async (t) => {
  const registry = new Registry();
  const histogram = new EventLoopDelayHistogram(registry);
  histogram.stop();
  const a = parse(await registry.metrics());
  const b = parse(await registry.metrics());
  t.same(b, a);
  t.equal(a.count, 0);
});
