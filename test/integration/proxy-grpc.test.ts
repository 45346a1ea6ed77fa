// gRPC through two real proxies, the way meshed pods talk:
//   grpc-js client → proxy A outbound → (h2) → proxy B inbound → grpc-js server
// Every call shape, metadata both ways, server errors passed through unchanged, the golden metrics on A, and
// the trailers-only UNAVAILABLE answers the proxy makes itself.
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { formatHostPort } from '../../common/address';
import { METRIC, PROXY_ERROR } from '../../common/contract';
import { closedPort } from '../fixtures/http-client';
import { createEchoClient, ECHO_ID, EchoReply, EchoRequest, EchoStub, REQUEST_ID, SERVED_BY, startGrpcEcho } from '../fixtures/grpc-echo';
import { metricValue, ProxyProcess, startProxy } from '../fixtures/proxy-process';

const AUTHORITY = 'echo.test.svc.cluster.local:8080';
const REFUSING_AUTHORITY = 'refusing.test.svc.cluster.local:8080';
const STREAM_MESSAGES = 500;
const DEADLINE_MS = 10_000;

interface UnaryResult {
  reply?: EchoReply;
  error?: grpc.ServiceError;
  headers: grpc.Metadata;
  trailers: grpc.Metadata;
}

let a: ProxyProcess;
let echo: EchoStub;

t.before(async () => {
  const server = await startGrpcEcho(t);
  const b = await startProxy(t, { app: server });
  a = await startProxy(t, {
    services: [
      { authority: AUTHORITY, endpoints: [{ addr: formatHostPort(b.inbound), protocol: 'h2', labels: { namespace: 'test', service: 'echo' } }] },
      { authority: REFUSING_AUTHORITY, endpoints: [{ addr: `127.0.0.1:${await closedPort()}` }] },
    ],
  });
  echo = clientFor(AUTHORITY);
});

/** A client that dials proxy A's outbound port but names `authority` in :authority, as an app in a pod would. */
function clientFor(authority: string): EchoStub {
  const client = createEchoClient(formatHostPort(a.outbound), { 'grpc.default_authority': authority });
  t.teardown(() => client.close());
  return client;
}
const deadline = () => ({ deadline: new Date(Date.now() + DEADLINE_MS) });

function unary(client: EchoStub, request: Partial<EchoRequest>, metadata = new grpc.Metadata()): Promise<UnaryResult> {
  return new Promise((resolve) => {
    const result: UnaryResult = { headers: new grpc.Metadata(), trailers: new grpc.Metadata() };
    const call = client.Unary(request, metadata, deadline(), (error, reply) => {
      if (error) result.error = error;
      else result.reply = reply;
    });
    call.on('metadata', (md: grpc.Metadata) => (result.headers = md));
    call.on('status', (status: grpc.StatusObject) => {
      result.trailers = status.metadata;
      // The callback runs before 'status'; resolving here sees both.
      resolve(result);
    });
  });
}

function withRequestId(id: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(REQUEST_ID, id);
  return md;
}

t.test('unary: reply, initial metadata and trailing metadata cross both proxies', async (t) => {
  const result = await unary(echo, { text: 'hello' }, withRequestId('req-1'));
  t.error(result.error);
  t.same(result.reply, { text: 'hello', index: 0 });
  t.same(result.headers.get(ECHO_ID), ['req-1'], 'the server saw the request metadata and answered in its headers');
  t.same(result.trailers.get(SERVED_BY), ['echo'], 'trailing metadata arrives');
});

t.test('server streaming: every message in order, then trailers', async (t) => {
  const call = echo.ServerStream({ text: 'm', count: STREAM_MESSAGES }, withRequestId('req-2'), deadline());
  const replies: EchoReply[] = [];
  let headers = new grpc.Metadata();
  call.on('metadata', (md: grpc.Metadata) => (headers = md));
  call.on('data', (r: EchoReply) => replies.push(r));
  const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  t.equal(status.code, grpc.status.OK);
  t.equal(replies.length, STREAM_MESSAGES);
  t.ok(replies.every((r, i) => r.index === i && r.text === `m-${i}`), 'in order and intact');
  t.same(headers.get(ECHO_ID), ['req-2']);
  t.same(status.metadata.get(SERVED_BY), ['echo']);
});

t.test('client streaming: every message reaches the server, one reply', async (t) => {
  const { error, reply, status } = await new Promise<{ error: grpc.ServiceError | null; reply?: EchoReply; status: grpc.StatusObject }>((resolve) => {
    let outcome: { error: grpc.ServiceError | null; reply?: EchoReply } = { error: null };
    const call = echo.ClientStream(deadline(), (error, reply) => (outcome = { error, reply }));
    call.on('status', (status: grpc.StatusObject) => resolve({ ...outcome, status }));
    for (let i = 0; i < STREAM_MESSAGES; i++) call.write({ text: String(i) });
    call.end();
  });
  t.error(error);
  t.equal(reply?.index, STREAM_MESSAGES);
  t.equal(reply?.text, Array.from({ length: STREAM_MESSAGES }, (_, i) => String(i)).join(','));
  t.same(status.metadata.get(SERVED_BY), ['echo']);
});

t.test('bidirectional streaming: many messages both ways, interleaved', async (t) => {
  const call = echo.Bidi(withRequestId('req-4'), deadline());
  const replies: EchoReply[] = [];
  // Ping-pong for the first half proves the streams are live in both directions at once (not buffered to the
  // end); the second half is written in one burst.
  const half = STREAM_MESSAGES / 2;
  let sent = 0;
  const sendNext = () => call.write({ text: `b${sent++}` });
  call.on('data', (r: EchoReply) => {
    replies.push(r);
    if (sent < half) sendNext();
    else if (sent === half) {
      while (sent < STREAM_MESSAGES) sendNext();
      call.end();
    }
  });
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  sendNext();
  const { code, metadata } = await status;
  t.equal(code, grpc.status.OK);
  t.equal(replies.length, STREAM_MESSAGES);
  t.ok(replies.every((r, i) => r.index === i && r.text === `b${i}`), 'in order and intact');
  t.same(metadata.get(SERVED_BY), ['echo']);
});

t.test('a server error status reaches the client unchanged', async (t) => {
  const result = await unary(echo, { text: 'no such thing: widget 7', failWith: grpc.status.NOT_FOUND });
  t.equal(result.error?.code, grpc.status.NOT_FOUND);
  t.equal(result.error?.details, 'no such thing: widget 7');
  t.same(result.trailers.get(SERVED_BY), ['echo'], 'trailing metadata of the failed call arrives');
  t.same(result.trailers.get(PROXY_ERROR), [], 'the proxy did not make this error');
});

t.test('response_total on proxy A labels gRPC outcomes by grpc_status', async (t) => {
  const text = await a.metrics();
  const labels = { direction: 'outbound', authority: AUTHORITY, status_code: '200' };
  // Unary ok + 3 streaming calls ok (the tests above), one NOT_FOUND.
  t.equal(metricValue(text, METRIC.responseTotal, { ...labels, grpc_status: '0', classification: 'success' }), 4);
  t.equal(metricValue(text, METRIC.responseTotal, { ...labels, grpc_status: String(grpc.status.NOT_FOUND), classification: 'failure' }), 1);
  t.equal(metricValue(text, METRIC.requestTotal, { direction: 'outbound', authority: AUTHORITY }), 5);
  t.match(text, /response_total\{[^}]*dst_service="echo"/, 'labels from discovery are on the series');
});

t.test('an unknown authority gets UNAVAILABLE from the proxy, marked as its own', async (t) => {
  const result = await unary(clientFor('nobody.test.svc.cluster.local:8080'), { text: 'x' });
  t.equal(result.error?.code, grpc.status.UNAVAILABLE);
  t.same(result.error?.metadata.get(PROXY_ERROR), ['unknown-authority']);
  t.match(result.error?.details, /nobody\.test\.svc\.cluster\.local:8080/, 'the message names the authority');
});

t.test('an endpoint that refuses connections gets UNAVAILABLE from the proxy', async (t) => {
  const result = await unary(clientFor(REFUSING_AUTHORITY), { text: 'x' });
  t.equal(result.error?.code, grpc.status.UNAVAILABLE);
  t.same(result.error?.metadata.get(PROXY_ERROR), ['connect-failed']);
  const text = await a.metrics();
  t.equal(
    metricValue(text, METRIC.responseTotal, { authority: REFUSING_AUTHORITY, grpc_status: String(grpc.status.UNAVAILABLE), classification: 'failure' }),
    1,
  );
});
