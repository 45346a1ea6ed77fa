import t from 'tap';
import { compileRetryPolicy, DEFAULT_RETRY_LIMIT, mayRetryMethod, RetryConfigError, RetryPolicies } from '../../../../proxy/outbound/retry-policy';
import { formatGrpcTimeout, parseGrpcTimeout } from '../../../../proxy/outbound/grpc-timeout';

t.test('HTTP conditions: classes, gateway-error, statuses and ranges', async (t) => {
  const p = compileRetryPolicy({ http: '5xx' });
  t.ok(p.statuses.has(500) && p.statuses.has(599) && !p.statuses.has(499));
  t.same([...compileRetryPolicy({ http: 'gateway-error' }).statuses], [502, 503, 504]);
  t.same([...compileRetryPolicy({ http: '429, 500-502' }).statuses].sort(), [429, 500, 501, 502]);
  t.throws(() => compileRetryPolicy({ http: 'sometimes' }), RetryConfigError);
});

t.test('gRPC conditions by name (either spelling) or number', async (t) => {
  t.same([...compileRetryPolicy({ grpc: 'unavailable,cancelled' }).grpcStatuses].sort((a, b) => a - b), [1, 14]);
  t.same([...compileRetryPolicy({ grpc: 'DEADLINE_EXCEEDED, 8' }).grpcStatuses].sort((a, b) => a - b), [4, 8]);
  t.throws(() => compileRetryPolicy({ grpc: 'ok' }), /unavailable/);
});

t.test('limit defaults to 1; idempotent methods only unless configured', async (t) => {
  const p = compileRetryPolicy({ http: '5xx' });
  t.equal(p.limit, DEFAULT_RETRY_LIMIT);
  t.ok(mayRetryMethod(p, 'GET', false));
  t.ok(mayRetryMethod(p, 'PUT', false));
  t.notOk(mayRetryMethod(p, 'POST', false));
  t.ok(mayRetryMethod(p, 'POST', true), 'gRPC calls are POST; their statuses are the opt-in');
  t.ok(mayRetryMethod(compileRetryPolicy({ methods: 'post' }), 'POST', false));
  t.notOk(mayRetryMethod(compileRetryPolicy({ methods: 'post' }), 'PATCH', false));
  t.ok(mayRetryMethod(compileRetryPolicy({ methods: 'all' }), 'PATCH', false));
});

t.test('an invalid spec is reported once and means no retries', async (t) => {
  const reported: string[] = [];
  const policies = new RetryPolicies((e) => reported.push(e.message));
  const spec = { http: 'nope' };
  t.equal(policies.for(spec), undefined);
  t.equal(policies.for(spec), undefined);
  t.equal(reported.length, 1);
  t.equal(policies.for(undefined), undefined);
});

t.test('grpc-timeout is read in every unit and written as what is left', async (t) => {
  t.equal(parseGrpcTimeout('1S'), 1000);
  t.equal(parseGrpcTimeout('250m'), 250);
  t.equal(parseGrpcTimeout('2M'), 120_000);
  t.equal(parseGrpcTimeout('1H'), 3_600_000);
  t.equal(parseGrpcTimeout('5000u'), 5);
  t.equal(parseGrpcTimeout('123456789m'), undefined, 'more than 8 digits');
  t.equal(parseGrpcTimeout('10s'), undefined, 'lower-case s is not a unit');
  t.equal(formatGrpcTimeout(249.2), '250m');
  t.equal(formatGrpcTimeout(0), '1m', 'never zero: that would read as no time at all');
});
