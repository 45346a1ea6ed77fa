import t from 'tap';
import { EndpointCensus } from '../../../../proxy/discovery/endpoint-census';
import type { Endpoint } from '../../../../proxy/discovery/types';

const at = (port: number): Endpoint => ({ addr: { host: '127.0.0.1', port }, key: `127.0.0.1:${port}`, labels: {} });

function setup() {
  const census = new EndpointCensus();
  const removed: string[] = [];
  census.onRemoved((e) => removed.push(e.key));
  return { census, removed };
}

t.test('an endpoint that leaves its only service is reported once, at flush', async (t) => {
  const { census, removed } = setup();
  census.replace([], [at(1), at(2)]);
  census.flush();
  census.replace([at(1), at(2)], [at(2)]);
  t.same(removed, [], 'nothing before the flush');
  census.flush();
  t.same(removed, ['127.0.0.1:1']);
  census.flush();
  t.same(removed, ['127.0.0.1:1'], 'not again');
  t.equal(census.size, 1);
});

t.test('an endpoint another service still holds is not reported', async (t) => {
  const { census, removed } = setup();
  census.replace([], [at(1)]);
  census.replace([], [at(1)]);
  census.replace([at(1)], []);
  census.flush();
  t.same(removed, []);
  census.replace([at(1)], []);
  census.flush();
  t.same(removed, ['127.0.0.1:1'], 'reported once the last holder dropped it');
});

t.test('an endpoint that moves between services in one change is not reported', async (t) => {
  const { census, removed } = setup();
  census.replace([], [at(1)]);
  census.flush();
  census.replace([at(1)], []); // service A drops it...
  census.replace([], [at(1)]); // ...service B takes it, in the same file reload
  census.flush();
  t.same(removed, []);
  t.equal(census.size, 1);
});
