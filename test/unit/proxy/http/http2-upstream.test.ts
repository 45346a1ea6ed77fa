// Http2Upstream's relay: whatever order Node emits a stream's events in, the sink hears head → data → end,
// or one failure, and never a second word after its last.
//
// Node emits a client stream's 'response' on process.nextTick but pushes DATA at once, so when HEADERS and
// DATA are parsed in one pass (a busy mTLS session under load; every time over a JS stream socket, used
// here to make it deterministic) 'data' comes first. Forwarded as is, the body reached an HTTP/1 client
// before the head (Node wrote an implicit 200) and the head that followed threw ERR_HTTP_HEADERS_SENT.
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { guardProbe } from '../../../fixtures/guard-probe';
import t, { type Test } from 'tap';
import { formatHostPort, type HostPort } from '../../../../common/address';
import type { ProxyError } from '../../../../proxy/http/errors';
import type { Headers } from '../../../../proxy/http/headers';
import { Http2Upstream } from '../../../../proxy/http/http2-upstream';
import type { ProxyRequest } from '../../../../proxy/http/request';
import type { UpstreamSink } from '../../../../proxy/http/sink';
import type { MtlsConnector } from '../../../../proxy/transport/tls-connect';

const BODY = 'the-body';
const REQUESTS = 20;
const DEADLINE_MS = 5_000;

/** Records what the relay tells it; settles on the first end or failure (a later word is recorded too). */
class RecordingSink implements UpstreamSink {
  readonly events: string[] = [];
  body = '';
  readonly settled: Promise<void>;
  private settle!: () => void;

  constructor() {
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  informational(status: number): void {
    this.events.push(`informational ${status}`);
  }
  head(status: number, _headers: Headers, endStream = false): void {
    this.events.push(`head ${status}${endStream ? ' end' : ''}`);
    if (endStream) this.settle(); // the head is the whole response
  }
  data(chunk: Buffer): boolean {
    if (!this.events.includes('data')) this.events.push('data');
    this.body += chunk.toString();
    return true;
  }
  end(): void {
    this.events.push('end');
    this.settle();
  }
  fail(error: ProxyError): void {
    this.events.push(`fail ${error.reason}`);
    this.settle();
  }
  onDrain(): void {}
  /** What cancels the upstream request (the client went away). */
  abort?: () => void;
  onAbort(fn: () => void): void {
    this.abort = fn;
  }
}

const probe = guardProbe();
const request: ProxyRequest = { method: 'GET', authority: 'web.test', path: '/', headers: {}, body: null, grpc: false, protocol: 'HTTP/2', guard: probe.guard };

/** An h2 server whose streams are answered by `answer`, closed when the test ends. */
async function h2Server(t: Test, answer: (stream: http2.ServerHttp2Stream) => void): Promise<HostPort> {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    answer(stream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
}

/**
 * An upstream whose session runs over a JS Duplex in front of a TCP socket, so Node parses each chunk read
 * in one pass from JavaScript, as it sometimes does on a native TLS socket under load.
 */
function upstreamOverJsStream(t: Test, addr: HostPort): Http2Upstream {
  const mtls = {
    open(): Duplex {
      const tcp = net.connect(addr.port, addr.host);
      const duplex = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          tcp.write(chunk, callback);
        },
        final(callback) {
          tcp.end();
          callback();
        },
        destroy(err, callback) {
          tcp.destroy();
          callback(err);
        },
      });
      tcp.on('data', (chunk: Buffer) => duplex.push(chunk));
      tcp.on('end', () => duplex.push(null));
      tcp.on('error', (err) => duplex.destroy(err));
      return duplex;
    },
  } as unknown as MtlsConnector;
  const upstream = new Http2Upstream({ addr, key: formatHostPort(addr), identity: 'web.test.identity', labels: {} }, { connectTimeoutMs: DEADLINE_MS, mtls, faults: probe.reporter });
  t.teardown(() => upstream.close());
  return upstream;
}

async function exchange(upstream: Http2Upstream): Promise<RecordingSink> {
  const sink = new RecordingSink();
  upstream.send({ ...request, headers: {} }, sink);
  const deadline = new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no end or failure within ${DEADLINE_MS}ms: ${sink.events.join(', ')}`)), DEADLINE_MS).unref());
  await Promise.race([sink.settled, deadline]);
  // Let any late event (a 'close' after an 'error') arrive before the sink is judged.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return sink;
}

t.test('HEADERS and DATA parsed in one pass: the sink hears the head before the body', async (t) => {
  const addr = await h2Server(t, (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/plain' });
    stream.end(BODY);
  });
  const upstream = upstreamOverJsStream(t, addr);
  for (let i = 0; i < REQUESTS; i++) {
    const sink = await exchange(upstream);
    t.same(sink.events, ['head 200', 'data', 'end'], `request ${i}: head, data, end in that order`);
    t.equal(sink.body, BODY, `request ${i}: the whole body`);
  }
});

t.test('a response that ends with its HEADERS frame is one headers-only head, and nothing after it', async (t) => {
  const addr = await h2Server(t, (stream) => stream.respond({ ':status': 204 }, { endStream: true }));
  const sink = await exchange(upstreamOverJsStream(t, addr));
  await new Promise((resolve) => setTimeout(resolve, 50)); // a late 'end' or 'close' would be recorded too
  t.same(sink.events, ['head 204 end']);
});

t.test('a stream the peer resets before answering fails once', async (t) => {
  // destroy() sends RST_STREAM INTERNAL_ERROR; close(code) would first end the stream cleanly (END_STREAM).
  const addr = await h2Server(t, (stream) => stream.destroy(new Error('reset by the test server')));
  const sink = await exchange(upstreamOverJsStream(t, addr));
  t.same(sink.events, ['fail upstream-reset'], "the stream's 'error' and its 'close' are one failure");
});

t.test('a stream the peer resets after its head fails once, after the head', async (t) => {
  const addr = await h2Server(t, (stream) => {
    stream.respond({ ':status': 200 });
    stream.write('part', () => stream.destroy(new Error('reset by the test server')));
  });
  const sink = await exchange(upstreamOverJsStream(t, addr));
  t.same(sink.events, ['head 200', 'data', 'fail upstream-reset']);
});

t.test('a stream the peer closes without a response still settles, with no head', async (t) => {
  const addr = await h2Server(t, (stream) => stream.close(http2.constants.NGHTTP2_NO_ERROR));
  const sink = await exchange(upstreamOverJsStream(t, addr));
  t.same(sink.events, ['end'], 'the sink hears the end of a stream that had no head (ResponseSink turns that into a 502)');
});

t.test('a cancelled request resets its stream without ending the request body first', async (t) => {
  const sink = new RecordingSink();
  let seen: Promise<string[]> | undefined;
  const addr = await h2Server(t, (stream) => {
    seen = new Promise((resolve) => {
      const events: string[] = [];
      stream.once('data', () => {
        events.push('data');
        sink.abort!();
      });
      // A request body that ends before the stream is aborted looks complete to the peer.
      stream.once('end', () => events.push('end'));
      stream.once('aborted', () => events.push('aborted'));
      stream.once('close', () => resolve([...events, `rst ${stream.rstCode}`]));
      stream.resume();
    });
  });
  const body = new PassThrough();
  upstreamOverJsStream(t, addr).send({ ...request, method: 'POST', headers: {}, body }, sink);
  body.write('the first part of a body that never ends');
  await waitUntil(() => seen !== undefined);
  const events = await seen!;
  t.same(events.slice(0, 2), ['data', 'aborted'], 'the peer hears the reset before any end of the body');
  t.equal(events[events.length - 1], `rst ${http2.constants.NGHTTP2_CANCEL}`, 'RST_STREAM CANCEL');
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not so within ${DEADLINE_MS}ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
