// Tap's view of a response agrees with the sink's golden metrics: one outcome exactly when the sink records
// one, with the same status, gRPC status and proxy error; bytes are those the sink accepted.
import t, { type Test } from 'tap';
import { ProxyError } from '../../../../proxy/http/errors';
import { ResponseOutcome, watchResponse } from '../../../../proxy/tap/watch-response';
import { RecordingSink } from '../http/recording-sink';

function watched(grpc = false): { sink: RecordingSink; outcomes: ResponseOutcome[] } {
  const sink = new RecordingSink(grpc);
  const outcomes: ResponseOutcome[] = [];
  watchResponse(sink, (o) => outcomes.push(o));
  return { sink, outcomes };
}

/** The outcome as the metrics saw it. */
const sameAsMetrics = (t: Test, sink: RecordingSink, outcomes: ResponseOutcome[]) => {
  t.equal(outcomes.length, sink.responses.length, 'an outcome exactly when the metrics record one');
  outcomes.forEach((o, i) => t.same({ status: o.status, grpcStatus: o.grpcStatus, error: o.proxyError }, sink.responses[i]));
};

t.test('a whole response: status, body bytes, latency to the head, then duration', async (t) => {
  const { sink, outcomes } = watched();
  sink.head(200, { 'content-type': 'text/plain' });
  sink.data(Buffer.from('hello '));
  sink.data(Buffer.from('world'));
  t.equal(outcomes.length, 0, 'nothing before the end');
  sink.end();
  sameAsMetrics(t, sink, outcomes);
  t.match(outcomes[0], { status: 200, bytes: 11 });
  t.ok(outcomes[0].durationMs >= outcomes[0].latencyMs);
  sink.data(Buffer.from('late'));
  sink.end();
  t.equal(outcomes.length, 1, 'what the sink refuses after the end is not counted');
  t.same(sink.writes, ['head 200', 'data hello ', 'data world', 'end {}'], 'the sink wrote as it would untapped');
});

t.test('gRPC: the status from trailers, or from a Trailers-Only head', async (t) => {
  const trailers = watched(true);
  trailers.sink.head(200, { 'content-type': 'application/grpc' });
  trailers.sink.data(Buffer.from('12345'));
  trailers.sink.end({ 'grpc-status': '5' });
  sameAsMetrics(t, trailers.sink, trailers.outcomes);
  t.match(trailers.outcomes[0], { grpcStatus: 5, bytes: 5 });
  const only = watched(true);
  only.sink.head(200, { 'grpc-status': '14' }, true);
  sameAsMetrics(t, only.sink, only.outcomes);
  t.match(only.outcomes[0], { grpcStatus: 14, bytes: 0 });
});

t.test('failures: answered by the proxy, cut after the head, or ended with no head', async (t) => {
  const answered = watched(true);
  answered.sink.fail(new ProxyError('no-endpoints', 'none'));
  sameAsMetrics(t, answered.sink, answered.outcomes);
  t.match(answered.outcomes[0], { status: 503, grpcStatus: 14, proxyError: 'no-endpoints' });
  const cut = watched();
  cut.sink.head(200, {});
  cut.sink.data(Buffer.from('par'));
  cut.sink.fail(new ProxyError('upstream-reset', 'reset'));
  sameAsMetrics(t, cut.sink, cut.outcomes);
  t.match(cut.outcomes[0], { status: 200, bytes: 3, proxyError: 'upstream-reset' });
  const headless = watched();
  headless.sink.end();
  sameAsMetrics(t, headless.sink, headless.outcomes);
  t.match(headless.outcomes[0], { status: 502, proxyError: 'upstream-protocol-error' });
});

t.test('a client that leaves is no outcome, as for the metrics', async (t) => {
  const { sink, outcomes } = watched();
  sink.head(200, {});
  sink.leave();
  sink.end();
  sameAsMetrics(t, sink, outcomes);
  t.equal(outcomes.length, 0);
});
