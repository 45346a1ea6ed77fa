// 1xx responses and trace context through the proxies (RFC 9110 §15.2: a proxy forwards 1xx):
//   HTTP/1 one hop:   client → A outbound → HTTP/1 app
//   HTTP/1 two hops:  client → A outbound → (h2: 1xx as extra HEADERS frames) → B inbound → HTTP/1 app
//   h2 two hops:      h2 client → A outbound → (h2) → C inbound → h2 app
// 102 and 103 reach the client with their headers, before the final response; 100-continue is answered by the
// proxy itself (the app never sees Expect); traceparent, tracestate and b3 headers reach the app untouched.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import t from 'tap';
import { formatHostPort, HostPort } from '../../common/address';
import { startH2Backend } from '../fixtures/h2-backend';
import { startEchoServer } from '../fixtures/http-backends';
import { send } from '../fixtures/http-client';
import { ProxyProcess, serviceAt, startProxy } from '../fixtures/proxy-process';

const ONE_HOP = 'web-direct.test:8080';
const TWO_HOPS = 'web.test:8080';
const H2_TWO_HOPS = 'h2.test:8080';
const HINTS = '/hints';
const LINK = '</style.css>; rel=preload; as=style';
const TIMEOUT_MS = 15_000;

const TRACE_HEADERS = {
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
  b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90',
  'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
  'x-b3-spanid': 'e457b5a2e4d86bd1',
  'x-b3-parentspanid': '05e3ac9a4f6e3b90',
  'x-b3-sampled': '1',
  'x-b3-flags': '1',
};

interface Informational {
  status: number;
  headers: http.IncomingHttpHeaders;
}

let a: ProxyProcess;

/** An HTTP/1.1 request that records the 1xx responses before the final one. */
function requestWithInformational(to: HostPort, authority: string, path: string): Promise<{ informational: Informational[]; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const informational: Informational[] = [];
    const req = http.request({ host: to.host, port: to.port, path, headers: { host: authority }, agent: false, timeout: TIMEOUT_MS });
    req.on('information', (info) => informational.push({ status: info.statusCode, headers: info.headers }));
    req.once('timeout', () => req.destroy(new Error(`no response within ${TIMEOUT_MS}ms`)));
    req.once('error', reject);
    req.once('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.once('end', () => resolve({ informational, status: res.statusCode!, body }));
    });
    req.end();
  });
}

/** One h2 request that records the 1xx HEADERS frames before the response. */
function h2RequestWithInformational(to: HostPort, headers: http2.OutgoingHttpHeaders): Promise<{ informational: http2.IncomingHttpHeaders[]; status: number; body: string }> {
  const session = http2.connect(`http://${formatHostPort(to)}`);
  session.on('error', () => {});
  return new Promise<{ informational: http2.IncomingHttpHeaders[]; status: number; body: string }>((resolve, reject) => {
    const informational: http2.IncomingHttpHeaders[] = [];
    const stream = session.request(headers, { endStream: true });
    let status = 0;
    let body = '';
    const timer = setTimeout(() => stream.destroy(new Error(`no response within ${TIMEOUT_MS}ms`)), TIMEOUT_MS);
    stream.on('headers', (h) => informational.push(h));
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (d: Buffer) => (body += d.toString()));
    stream.on('end', () => resolve({ informational, status, body }));
    stream.on('error', reject);
    stream.on('close', () => clearTimeout(timer));
  }).finally(() => session.close());
}

t.test('1xx and trace headers through the proxies', async (t) => {
  // The HTTP/1 app answers /hints with 102 Processing, then 103 Early Hints, then 200; anything else is echoed.
  const app = await startEchoServer(t, (req, res) => {
    if (req.url !== HINTS) return false;
    res.writeProcessing();
    res.writeEarlyHints({ link: LINK, 'x-hint': 'early' });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('final');
    return true;
  });
  // The h2 app answers /hints with 103 then 200, and /traced with the request headers it saw.
  const h2App = await startH2Backend(t, (stream, seen) => {
    if (seen.headers[':path'] === '/traced') {
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end(JSON.stringify(seen.headers));
      return true;
    }
    if (seen.headers[':path'] !== HINTS) return false;
    stream.additionalHeaders({ ':status': 103, link: LINK });
    stream.respond({ ':status': 200 });
    stream.end('final');
    return true;
  });
  const [b, c] = await Promise.all([startProxy(t, { app: app.addr }), startProxy(t, { app: h2App.addr })]);
  a = await startProxy(t, {
    services: [serviceAt(ONE_HOP, app.addr), serviceAt(TWO_HOPS, b.inbound, { protocol: 'h2' }), serviceAt(H2_TWO_HOPS, c.inbound, { protocol: 'h2' })],
  });

  for (const [name, authority] of [
    ['HTTP/1 one hop', ONE_HOP],
    ['HTTP/1 two hops', TWO_HOPS],
  ]) {
    t.test(`${name}: 102 and 103 are forwarded, in order, before the final response`, async (t) => {
      const reply = await requestWithInformational(a.outbound, authority, HINTS);
      t.same(
        reply.informational.map((i) => i.status),
        [102, 103],
      );
      t.equal(reply.informational[1]?.headers.link, LINK, '103 keeps its Link header');
      t.equal(reply.informational[1]?.headers['x-hint'], 'early', 'and its other headers');
      t.equal(reply.status, 200);
      t.equal(reply.body, 'final');
    });

    t.test(`${name}: 100-continue is answered by the proxy; the app never sees Expect`, async (t) => {
      const before = app.seen.length;
      const reply = await new Promise<{ continued: boolean; status: number }>((resolve, reject) => {
        let continued = false;
        const req = http.request({
          host: a.outbound.host,
          port: a.outbound.port,
          method: 'POST',
          path: '/upload',
          headers: { host: authority, expect: '100-continue', 'content-length': '5' },
          agent: false,
          timeout: TIMEOUT_MS,
        });
        req.on('continue', () => {
          continued = true;
          req.end('hello');
        });
        req.once('error', reject);
        req.once('response', (res) => {
          res.resume();
          res.once('end', () => resolve({ continued, status: res.statusCode! }));
        });
      });
      t.ok(reply.continued, 'the client got 100 Continue');
      t.equal(reply.status, 200);
      const seen = app.seen.slice(before).find((s) => s.url === '/upload');
      t.equal(seen?.body, 'hello');
      t.equal(seen?.headers.expect, undefined);
    });

    t.test(`${name}: traceparent, tracestate and b3 headers reach the app untouched`, async (t) => {
      const before = app.seen.length;
      const reply = await send(a.outbound, { authority, path: '/traced', headers: TRACE_HEADERS });
      t.equal(reply.status, 200);
      const seen = app.seen.slice(before).find((s) => s.url === '/traced');
      for (const [header, value] of Object.entries(TRACE_HEADERS)) t.equal(seen?.headers[header], value, header);
    });
  }

  t.test('h2 two hops: 103 crosses both proxies as an informational HEADERS frame', async (t) => {
    const reply = await h2RequestWithInformational(a.outbound, { ':path': HINTS, ':authority': H2_TWO_HOPS });
    t.same(
      reply.informational.map((h) => [Number(h[':status']), h.link]),
      [[103, LINK]],
    );
    t.equal(reply.status, 200);
    t.equal(reply.body, 'final');
  });

  t.test('h2 two hops: trace headers reach the app untouched', async (t) => {
    const reply = await h2RequestWithInformational(a.outbound, { ':path': '/traced', ':authority': H2_TWO_HOPS, ...TRACE_HEADERS });
    t.equal(reply.status, 200);
    const seen = JSON.parse(reply.body) as http2.IncomingHttpHeaders;
    for (const [header, value] of Object.entries(TRACE_HEADERS)) t.equal(seen[header], value, header);
  });
});
