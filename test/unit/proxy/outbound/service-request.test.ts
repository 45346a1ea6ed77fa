// A request's tries must never write into the client's sink once it has its answer: the two ways that
// happened (a failed try left live, a retry left waiting in the balancer after the deadline) and the
// Trailers-Only shape of a gRPC answer on its way through an attempt.
import { guardProbe } from '../../../fixtures/guard-probe';
import t from 'tap';
import type { Balancer } from '../../../../proxy/balance/balancer';
import { EndpointLoad, Lease } from '../../../../proxy/balance/endpoint-load';
import type { Grant } from '../../../../proxy/balance/service-balancer';
import type { Endpoint, Service } from '../../../../proxy/discovery/types';
import { ProxyError } from '../../../../proxy/http/errors';
import type { ProxyRequest } from '../../../../proxy/http/request';
import type { UpstreamSink } from '../../../../proxy/http/sink';
import type { TargetCache } from '../../../../proxy/http/targets';
import type { Upstreams } from '../../../../proxy/http/upstreams';
import { RetryBudget } from '../../../../proxy/outbound/retry-budget';
import type { RetryMetrics } from '../../../../proxy/outbound/retry-metrics';
import { RetryPolicies } from '../../../../proxy/outbound/retry-policy';
import { ServiceRequest } from '../../../../proxy/outbound/service-request';
import { FakeClock } from '../balance/fake-clock';
import { RecordingSink } from '../http/recording-sink';

const ENDPOINT: Endpoint = { addr: { host: '127.0.0.1', port: 1 }, key: '127.0.0.1:1', labels: {} };

/** Grants the first `immediate` acquires at once; later ones wait until the test grants them. */
class ScriptedBalancer {
  readonly waiting = new Set<Grant>();
  private immediate: number;

  constructor(
    private readonly clock: FakeClock,
    immediate: number,
  ) {
    this.immediate = immediate;
  }

  acquire(_service: Service, grant: Grant): () => void {
    if (this.immediate-- > 0) {
      grant(this.lease());
      return () => {};
    }
    this.waiting.add(grant);
    return () => this.waiting.delete(grant);
  }

  grantWaiting(): void {
    for (const grant of [...this.waiting]) {
      this.waiting.delete(grant);
      grant(this.lease());
    }
  }

  lease(): Lease {
    return new EndpointLoad(ENDPOINT, this.clock).lease();
  }
}

/** Each send hands the attempt's sink to `onSend`, which plays the upstream. */
function setup(options: { immediate: number; retry?: Service['policy']['retry']; timeoutMs?: number; grpc?: boolean }, onSend: (sink: UpstreamSink, n: number) => void) {
  const clock = new FakeClock();
  const balancer = new ScriptedBalancer(clock, options.immediate);
  const client = new RecordingSink(options.grpc ?? false);
  let sends = 0;
  const upstreams = { forRequest: () => ({ send: (_req: ProxyRequest, sink: UpstreamSink) => onSend(sink, ++sends) }) } as unknown as Upstreams;
  const service: Service = { authority: 'web.test:80', endpoints: [ENDPOINT], policy: { retry: options.retry, timeoutMs: options.timeoutMs } };
  const req: ProxyRequest = { method: 'GET', authority: service.authority, path: '/', headers: {}, body: null, grpc: options.grpc ?? false, protocol: 'HTTP/1.1', guard: guardProbe().guard };
  const request = new ServiceRequest(req, client, service, {
    balancer: balancer as unknown as Balancer,
    upstreams,
    targets: { get: () => client.target! } as unknown as TargetCache,
    budget: new RetryBudget(clock),
    retryMetrics: { retried() {}, budgetExhausted() {} } as unknown as RetryMetrics,
    retryPolicies: new RetryPolicies(() => {}),
    clock,
  });
  return { clock, balancer, client, request, sends: () => sends };
}

t.test('a try that failed on the spot and was retried into the queue is withdrawn when the deadline passes', async (t) => {
  const upstreamSinks: UpstreamSink[] = [];
  const { clock, balancer, client, request, sends } = setup({ immediate: 1, retry: { http: '5xx', limit: 1 }, timeoutMs: 1000 }, (sink, n) => {
    upstreamSinks.push(sink);
    // The first try fails before it leaves (e.g. the h2 session refused the stream): the request retries at
    // once, from inside the balancer's grant, and the retry has to wait for an endpoint.
    if (n === 1) sink.fail(new ProxyError('connect-failed', 'refused'));
  });
  request.start();
  t.equal(balancer.waiting.size, 1, 'the retry waits for an endpoint');
  clock.advance(1000);
  t.same(client.writes, ['error timeout'], 'the client got its 504');
  t.equal(balancer.waiting.size, 0, 'and the waiting retry was withdrawn');
  balancer.grantWaiting();
  t.equal(sends(), 1, 'no try is sent for a request that is over');
  t.same(client.ignored(), []);
});

t.test('a grant that arrives after the request is over sends nothing and gives the lease back', async (t) => {
  const { clock, balancer, client, request, sends } = setup({ immediate: 0, timeoutMs: 1000 }, () => {});
  request.start();
  const [grant] = balancer.waiting;
  clock.advance(1000);
  const lease = balancer.lease();
  grant(lease);
  t.equal(sends(), 0);
  t.equal(lease.load.pending, 0, 'the lease was finished');
  t.same(client.writes, ['error timeout']);
});

t.test('a try that failed stays failed: a response its upstream delivers later is dropped', async (t) => {
  let upstream!: UpstreamSink;
  let cancelled = 0;
  const { client, request } = setup({ immediate: 1 }, (sink) => {
    upstream = sink;
    sink.onAbort(() => cancelled++);
  });
  request.start();
  upstream.fail(new ProxyError('upstream-reset', 'write failed'));
  upstream.head(200, {});
  upstream.data(Buffer.from('late'));
  upstream.end();
  t.same(client.writes, ['error upstream-reset']);
  t.same(client.ignored(), [], 'the attempt itself dropped them, before the sink had to');
  t.equal(cancelled, 1, 'and the upstream was told to stop');
});

t.test('a gRPC Trailers-Only answer goes through the attempt as one headers-only response', async (t) => {
  let upstream!: UpstreamSink;
  const { client, request } = setup({ immediate: 1, grpc: true, retry: { grpc: 'unavailable', limit: 1 } }, (sink) => (upstream = sink));
  request.start();
  upstream.head(200, { 'grpc-status': '12', 'grpc-message': 'unimplemented' }, true);
  t.same(client.writes, ['head 200 end']);
  t.equal(client.state, 'end');
  t.same(client.responses, [{ status: 200, grpcStatus: 12, error: undefined }]);
});

t.test('a retried gRPC Trailers-Only UNAVAILABLE is not shown to the client; the retry’s answer is', async (t) => {
  const { client, request, sends } = setup({ immediate: 2, grpc: true, retry: { grpc: 'unavailable', limit: 1 } }, (sink, n) => {
    if (n === 1) sink.head(200, { 'grpc-status': '14' }, true);
    else sink.head(200, { 'grpc-status': '0' }, true);
  });
  request.start();
  t.equal(sends(), 2);
  t.same(client.writes, ['head 200 end']);
  t.same(client.responses, [{ status: 200, grpcStatus: 0, error: undefined }]);
});
