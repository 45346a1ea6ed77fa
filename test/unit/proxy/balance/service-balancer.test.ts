import t from 'tap';
import type { Endpoint, Service } from '../../../../proxy/discovery/types';
import type { Lease } from '../../../../proxy/balance/endpoint-load';
import { MAX_CONSECUTIVE_FAILURES, MIN_BACKOFF_MS } from '../../../../proxy/balance/failure-accrual';
import { FAIL_FAST_AFTER_MS, MAX_QUEUED, ServiceBalancer } from '../../../../proxy/balance/service-balancer';
import { ProxyError } from '../../../../proxy/http/errors';
import { FakeClock } from './fake-clock';

function endpoint(port: number): Endpoint {
  return { addr: { host: '127.0.0.1', port }, key: `127.0.0.1:${port}`, labels: {} };
}

function setup(endpoints: Endpoint[]) {
  const clock = new FakeClock();
  const service: Service = { authority: 'web.test:80', endpoints, policy: {} };
  const balancer = new ServiceBalancer(service, clock, Math.random);
  const results: (Lease | ProxyError)[] = [];
  const acquire = () => balancer.acquire((r) => results.push(r));
  return { clock, service, balancer, results, acquire };
}

t.test('an available endpoint is granted at once and counted as pending until its response starts', async (t) => {
  const { balancer, results, acquire } = setup([endpoint(1)]);
  acquire();
  t.equal(results.length, 1);
  const lease = results[0] as Lease;
  t.equal(lease.endpoint.key, '127.0.0.1:1');
  t.equal(balancer.endpointLoads[0].pending, 1);
  lease.responseStarted();
  lease.finish(true);
  t.equal(balancer.endpointLoads[0].pending, 0, 'released once, even when reported twice');
});

t.test('with no endpoints, requests wait; an endpoint joining through discovery serves them', async (t) => {
  const { clock, service, results, acquire } = setup([]);
  acquire();
  acquire();
  t.equal(results.length, 0, 'waiting');
  service.endpoints = [endpoint(2)];
  clock.advance(100);
  t.equal(results.length, 2);
  t.ok(results.every((r) => !(r instanceof ProxyError) && r.endpoint.key === '127.0.0.1:2'));
  t.equal(clock.pendingTimers, 0, 'no timer left once the queue is empty');
});

t.test('after 3 s with no endpoint: 503 fail-fast naming the service, then at once until one is back', async (t) => {
  const { clock, service, results, acquire } = setup([]);
  acquire();
  clock.advance(FAIL_FAST_AFTER_MS - 100);
  t.equal(results.length, 0, 'still waiting before 3 s');
  clock.advance(200);
  const error = results[0] as ProxyError;
  t.equal(error.reason, 'fail-fast');
  t.equal(error.status, 503);
  t.match(error.message, 'web.test:80');
  acquire();
  t.equal((results[1] as ProxyError).reason, 'fail-fast', 'in fail-fast, the next request fails without waiting');
  service.endpoints = [endpoint(3)];
  acquire();
  t.notOk(results[2] instanceof ProxyError, 'an endpoint ends fail-fast');
});

t.test('at most 100 wait; more are shed with 503 load-shed', async (t) => {
  const { clock, results, acquire } = setup([]);
  for (let i = 0; i < MAX_QUEUED; i++) acquire();
  t.equal(results.length, 0);
  acquire();
  t.equal(results.length, 1);
  t.equal((results[0] as ProxyError).reason, 'load-shed');
  t.equal((results[0] as ProxyError).status, 503);
  clock.advance(FAIL_FAST_AFTER_MS);
  t.equal(results.length, MAX_QUEUED + 1, 'the waiting ones fail fast after 3 s');
});

t.test('a withdrawn waiter is not granted', async (t) => {
  const { clock, service, results, balancer } = setup([]);
  const withdraw = balancer.acquire((r) => results.push(r));
  withdraw();
  service.endpoints = [endpoint(4)];
  clock.advance(FAIL_FAST_AFTER_MS * 2);
  t.equal(results.length, 0);
});

t.test('when every endpoint is out, requests wait for the probe', async (t) => {
  const { clock, results, acquire } = setup([endpoint(5)]);
  for (let i = 0; i < MAX_CONSECUTIVE_FAILURES; i++) {
    acquire();
    (results[i] as Lease).finish(false);
  }
  acquire();
  t.equal(results.length, MAX_CONSECUTIVE_FAILURES, 'the next one waits');
  clock.advance(MIN_BACKOFF_MS);
  const probe = results[MAX_CONSECUTIVE_FAILURES] as Lease;
  t.equal(probe.endpoint.key, '127.0.0.1:5', 'granted as the probe once the backoff passed');
});

t.test('an endpoint leaving discovery gets nothing new; its lease in flight still completes', async (t) => {
  const { service, results, balancer, acquire } = setup([endpoint(6), endpoint(7)]);
  for (let i = 0; i < 10; i++) acquire();
  const inFlight = results.filter((r): r is Lease => !(r instanceof ProxyError) && r.endpoint.key === '127.0.0.1:6');
  service.endpoints = [endpoint(7)];
  for (let i = 0; i < 20; i++) acquire();
  t.ok(results.slice(10).every((r) => !(r instanceof ProxyError) && r.endpoint.key === '127.0.0.1:7'));
  for (const lease of inFlight) lease.finish(true);
  t.equal(balancer.endpointLoads.length, 1);
});

t.test('an endpoint keeps its latency estimate across discovery updates', async (t) => {
  const { service, balancer } = setup([endpoint(8)]);
  balancer.endpointLoads[0].latency.observe(500);
  service.endpoints = [endpoint(8), endpoint(9)];
  const [kept, added] = balancer.endpointLoads;
  t.equal(kept.latency.estimate(), 500);
  t.equal(added.latency.estimate(), 30);
});
