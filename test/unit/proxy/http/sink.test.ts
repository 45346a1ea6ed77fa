// The response sink's state machine (head → data → end | failed): each transition, what is refused in each
// state, and that the concrete HTTP/1 and HTTP/2 sinks never hand Node a second head or a late write.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { PROXY_ERROR } from '../../../../common/contract';
import { ProxyError } from '../../../../proxy/http/errors';
import { Http1Sink } from '../../../../proxy/http/http1-sink';
import { Http2Sink } from '../../../../proxy/http/http2-sink';
import { recordingLogger, RecordingSink } from './recording-sink';

const reset = () => new ProxyError('upstream-reset', 'peer reset');

t.test('head → data → end writes each once, in order, and records the outcome once', async (t) => {
  const sink = new RecordingSink();
  t.equal(sink.state, 'head');
  sink.informational(103, { link: '</a.css>; rel=preload' });
  t.equal(sink.state, 'head', '1xx does not leave head');
  sink.head(200, {});
  t.equal(sink.state, 'data');
  t.equal(sink.data(Buffer.from('a')), true);
  sink.end({ 'x-t': '1' });
  t.equal(sink.state, 'end');
  t.same(sink.writes, ['informational 103', 'head 200', 'data a', 'end {"x-t":"1"}']);
  t.same(sink.responses, [{ status: 200, grpcStatus: undefined, error: undefined }]);
  t.same(sink.ignored(), []);
});

t.test('a headers-only response (gRPC Trailers-Only) goes from head straight to end', async (t) => {
  const sink = new RecordingSink(true);
  sink.head(200, { 'grpc-status': '12', 'grpc-message': 'nope' }, true);
  t.equal(sink.state, 'end');
  t.same(sink.writes, ['head 200 end']);
  t.same(sink.responses, [{ status: 200, grpcStatus: 12, error: undefined }], 'grpc-status taken from the head');
  sink.end(undefined, {});
  t.same(sink.writes, ['head 200 end'], 'an end after it is dropped');
  t.same(sink.ignored(), ['end@end']);
});

t.test('a second head is dropped with a debug line, not written', async (t) => {
  const sink = new RecordingSink();
  sink.head(200, {});
  sink.head(502, {});
  sink.informational(103, {});
  t.same(sink.writes, ['head 200']);
  t.equal(sink.state, 'data');
  t.same(sink.ignored(), ['head@data', 'informational@data']);
});

t.test('data before a head is dropped (Node would send an implicit 200) and reports no back-pressure', async (t) => {
  const sink = new RecordingSink();
  t.equal(sink.data(Buffer.from('early')), true);
  t.same(sink.writes, []);
  t.equal(sink.state, 'head');
});

t.test('fail before the head writes the proxy error; anything later is a no-op', async (t) => {
  const sink = new RecordingSink();
  sink.fail(reset());
  t.equal(sink.state, 'failed');
  sink.head(200, {});
  sink.data(Buffer.from('late'));
  sink.end();
  sink.fail(new ProxyError('timeout', 'late timeout'));
  t.same(sink.writes, ['error upstream-reset']);
  t.same(sink.responses, [{ status: 502, grpcStatus: undefined, error: 'upstream-reset' }], 'counted once');
  t.same(sink.ignored(), ['head@failed', 'data@failed', 'end@failed', 'fail@failed']);
  t.equal(sink.lines.filter((l) => l.level === 'warn').length, 1, 'one warning, for the failure that counted');
});

t.test('fail after the head cuts the response; gRPC callers get the gRPC status of the error', async (t) => {
  const sink = new RecordingSink(true);
  sink.head(200, {});
  sink.data(Buffer.from('x'));
  sink.fail(reset());
  t.same(sink.writes, ['head 200', 'data x', 'abort']);
  t.same(sink.responses, [{ status: 200, grpcStatus: undefined, error: 'upstream-reset' }]);
  const early = new RecordingSink(true);
  early.fail(new ProxyError('timeout', 't'));
  t.same(early.responses, [{ status: 504, grpcStatus: 4, error: 'timeout' }]);
});

t.test('an end with no head is an upstream protocol error', async (t) => {
  const sink = new RecordingSink();
  sink.end();
  t.equal(sink.state, 'failed');
  t.same(sink.writes, ['error upstream-protocol-error']);
});

t.test('after the end, fail and head are no-ops', async (t) => {
  const sink = new RecordingSink();
  sink.head(200, {});
  sink.end();
  sink.fail(reset());
  sink.head(200, {});
  t.same(sink.writes, ['head 200', 'end {}']);
  t.equal(sink.responses.length, 1);
});

t.test('the client leaving runs the abort callbacks once; later events are neither written nor counted', async (t) => {
  const sink = new RecordingSink();
  let aborted = 0;
  sink.onAbort(() => aborted++);
  sink.head(200, {});
  sink.leave();
  sink.leave();
  sink.fail(reset());
  sink.data(Buffer.from('late'));
  t.equal(aborted, 1);
  t.equal(sink.state, 'failed');
  t.same(sink.writes, ['head 200']);
  t.same(sink.responses, []);
  const done = new RecordingSink();
  done.onAbort(() => aborted++);
  done.head(200, {});
  done.end();
  done.leave();
  t.equal(aborted, 1, 'a client closing after the end cancels nothing');
});

t.test('1xx outside 102..199 is not forwarded: 100 is the proxy’s own, 101 is an Upgrade', async (t) => {
  const sink = new RecordingSink();
  sink.informational(100, {});
  sink.informational(101, {});
  sink.informational(102, {});
  t.same(sink.writes, ['informational 102']);
});

const quiet = recordingLogger([]);

t.test('Http1Sink on a real ServerResponse: a late head and late data after an error do not throw', async (t) => {
  let sinkError: unknown;
  const server = http.createServer((_req, res) => {
    const sink = new Http1Sink(res, () => false, quiet);
    try {
      sink.informational(103, { link: '</style.css>; rel=preload' });
      sink.fail(new ProxyError('timeout', 'too slow'));
      sink.head(200, { 'x-late': '1' });
      sink.data(Buffer.from('late'));
      sink.end();
    } catch (err) {
      sinkError = err;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const informational: number[] = [];
  const reply = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.get({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('information', (info) => informational.push(info.statusCode));
    req.on('error', reject);
  });
  t.equal(sinkError, undefined);
  t.same(informational, [103]);
  t.equal(reply.status, 504);
  t.equal(reply.headers[PROXY_ERROR], 'timeout');
  t.equal(reply.headers['x-late'], undefined);
  t.equal(reply.body, 'too slow\n');
});

t.test('Http2Sink on a real stream: Trailers-Only is one HEADERS frame with END_STREAM; late events do not throw', async (t) => {
  const errors: unknown[] = [];
  const server = http2.createServer();
  server.on('stream', (stream) => {
    const sink = new Http2Sink(stream, true, quiet);
    try {
      sink.informational(103, { link: '</a.js>; rel=preload' });
      sink.head(200, { 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'not%20here' }, true);
      sink.head(200, {});
      sink.data(Buffer.from('late'));
      sink.fail(reset());
      sink.end({ 'grpc-status': '0' });
    } catch (err) {
      errors.push(err);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  t.teardown(() => client.close());
  const req = client.request({ ':path': '/', 'content-type': 'application/grpc' }, { endStream: true });
  const informational: number[] = [];
  req.on('headers', (h) => informational.push(Number(h[':status'])));
  const [headers, flags] = await new Promise<[http2.IncomingHttpHeaders, number]>((resolve) => req.on('response', (h, f) => resolve([h, f])));
  let data = 0;
  let trailers = false;
  req.on('data', (d: Buffer) => (data += d.length));
  req.on('trailers', () => (trailers = true));
  await new Promise((resolve) => req.on('close', resolve));
  t.same(errors, []);
  t.same(informational, [103]);
  t.equal(headers['grpc-status'], '5');
  t.ok(flags & http2.constants.NGHTTP2_FLAG_END_STREAM, 'the response HEADERS frame carries END_STREAM');
  t.equal(data, 0, 'no DATA frame');
  t.equal(trailers, false, 'no separate trailers');
  t.equal(req.rstCode, http2.constants.NGHTTP2_NO_ERROR);
});

t.test('Http2Sink on a real stream: a response cut after its head ends in RST_STREAM, never in a clean end', async (t) => {
  const server = http2.createServer();
  // Both shapes Node ends differently: a declared length (no trailers awaited), and a body of unknown length.
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {}); // as servers.ts does: the reset is reported to the client, not here
    const sink = new Http2Sink(stream, false, quiet);
    sink.head(200, headers[':path'] === '/sized' ? { 'content-length': '100' } : {});
    sink.data(Buffer.from('part of it'));
    setTimeout(() => sink.fail(reset()), 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  client.on('error', () => {});
  t.teardown(() => client.close());
  for (const path of ['/sized', '/unsized']) {
    const req = client.request({ ':path': path }, { endStream: true });
    req.on('error', () => {});
    let ended = false;
    req.on('data', () => {});
    req.on('end', () => (ended = true));
    await new Promise((resolve) => req.on('close', resolve));
    t.equal(ended, false, `${path}: the client never saw END_STREAM`);
    t.equal(req.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR, `${path}: the stream was reset with INTERNAL_ERROR`);
  }
});
