// HTTP/1.1 across two proxies: app → proxy A outbound → (kept-alive HTTP/1.1 connections) → proxy B inbound
// → app, and the h2 hop (weft-orig-proto) an older peer proxy may still send. The far app must see the request the client sent, exactly as if it
// had been sent directly.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import t from 'tap';
import { DST_OVERRIDE, HOP_BY_HOP, METRIC, ORIG_PROTO, WEFT_HEADER_PREFIX } from '../../common/contract';
import { h2Connect, h2Request } from '../fixtures/h2-backend';
import { SeenRequest, startEchoServer } from '../fixtures/http-backends';
import { send, SendOptions } from '../fixtures/http-client';
import { metricValue, serviceAt, startProxy } from '../fixtures/proxy-process';

const AUTHORITY = 'web.test:8080';
const CONCURRENT_REQUESTS = 50;

/** One HTTP/1.0 request on a fresh connection; the whole reply as text. */
function rawHttp10(to: { host: string; port: number }, authority: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(to.port, to.host, () => socket.write(`GET ${path} HTTP/1.0\r\nHost: ${authority}\r\n\r\n`));
    let reply = '';
    socket.setEncoding('latin1').on('data', (d: string) => (reply += d));
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no reply within 10 s')));
  });
}

/** The end-to-end part of a request as a server saw it: hop-by-hop headers are each connection's own. */
function endToEnd(seen: SeenRequest) {
  const headers = Object.fromEntries(Object.entries(seen.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
  return { method: seen.method, url: seen.url, headers, body: seen.body };
}

t.test('two hops between proxies', async (t) => {
  const app = await startEchoServer(t);
  const proxyB = await startProxy(t, { app: app.addr });
  const proxyA = await startProxy(t, { services: [serviceAt(AUTHORITY, proxyB.inbound, { protocol: 'h2' })] });

  t.test('the app sees the same request as when the client calls it directly', async (t) => {
    const request: SendOptions = {
      authority: AUTHORITY,
      method: 'PATCH',
      path: '/items/42?fields=a,b&empty=&enc=%2Fslash',
      headers: {
        'X-Mixed-Case': 'Value With Spaces',
        'x-repeated': ['one', 'two'],
        cookie: 'a=1; b=2',
        accept: 'application/json',
        'content-type': 'application/octet-stream',
        'user-agent': 'weft-test/1',
        'x-empty': '',
      },
      body: crypto.randomBytes(4096).toString('base64'),
    };
    await send(app.addr, request);
    const direct = endToEnd(app.seen[app.seen.length - 1]);
    const reply = await send(proxyA.outbound, request);
    t.equal(reply.status, 200, 'answered through both proxies');
    const proxied = endToEnd(app.seen[app.seen.length - 1]);
    t.same(proxied, direct, 'method, path and query, end-to-end headers and body are the same');
    t.equal(Object.keys(proxied.headers).sort().join(','), Object.keys(direct.headers).sort().join(','), 'no header added or lost');
    t.equal(app.seen[app.seen.length - 1].headers[ORIG_PROTO], undefined, `${ORIG_PROTO} does not reach the app`);
    t.equal(app.seen[app.seen.length - 1].httpVersion, '1.1', 'the app is spoken to in HTTP/1.1 again');
  });

  t.test('HTTP/1.1 requests reuse kept-alive HTTP/1.1 connections between the proxies', async (t) => {
    const openedToB = async () => metricValue(await proxyA.metrics(), METRIC.tcpOpenTotal, { direction: 'outbound', peer: 'dst' });
    const before = await openedToB();
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT_REQUESTS });
    t.teardown(() => agent.destroy());
    const replies = await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, (_, i) => send(proxyA.outbound, { authority: AUTHORITY, path: `/concurrent/${i}`, agent })),
    );
    t.equal(replies.filter((r) => r.status === 200).length, CONCURRENT_REQUESTS, 'every request answered 200');
    const afterConcurrent = await openedToB();
    t.ok(afterConcurrent - before <= CONCURRENT_REQUESTS, `at most one new connection to B per request in flight (${afterConcurrent - before})`);
    const sequential = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => sequential.destroy());
    for (let i = 0; i < 20; i++) t.equal((await send(proxyA.outbound, { authority: AUTHORITY, path: `/sequential/${i}`, agent: sequential })).status, 200);
    t.equal(await openedToB(), afterConcurrent, 'sequential requests went over the kept-alive connections: none new');
    t.equal(
      metricValue(await proxyB.metrics(), METRIC.tcpOpenTotal, { direction: 'inbound', peer: 'src' }),
      await openedToB(),
      'proxy B accepted exactly the connections proxy A opened',
    );
  });

  t.test('an HTTP/1 request an older peer proxy carries over h2 (weft-orig-proto) reaches the app as HTTP/1.1', async (t) => {
    const session = h2Connect(t, proxyB.inbound);
    const reply = await h2Request(session, { ':method': 'GET', ':path': '/over-h2', ':authority': AUTHORITY, [ORIG_PROTO]: 'HTTP/1.1' });
    t.equal(reply.status, 200, 'answered 200');
    const seen = app.seen[app.seen.length - 1];
    t.equal(seen.url, '/over-h2');
    t.equal(seen.httpVersion, '1.1', 'the app is spoken to in HTTP/1.1');
    t.equal(seen.headers[ORIG_PROTO], undefined, `${ORIG_PROTO} does not reach the app`);
  });

  t.test('an HTTP/1.0 client is answered through both proxies', async (t) => {
    const reply = await rawHttp10(proxyA.outbound, AUTHORITY, '/one-oh');
    t.match(reply, /^HTTP\/1\.[01] 200 /, 'answered 200');
    t.equal(app.seen[app.seen.length - 1].url, '/one-oh');
  });

  t.test(`inbound drops ${WEFT_HEADER_PREFIX}* headers from a plain HTTP/1 client`, async (t) => {
    const reply = await send(proxyB.inbound, {
      authority: AUTHORITY,
      path: '/from-outside',
      headers: { [DST_OVERRIDE]: 'elsewhere.test:80', [ORIG_PROTO]: 'HTTP/1.0', 'weft-made-up': 'x', 'x-kept': 'yes' },
    });
    t.equal(reply.status, 200);
    const seen = app.seen[app.seen.length - 1];
    t.equal(seen.url, '/from-outside');
    t.same(Object.keys(seen.headers).filter((name) => name.startsWith(WEFT_HEADER_PREFIX)), [], `no ${WEFT_HEADER_PREFIX}* header reached the app`);
    t.equal(seen.headers['x-kept'], 'yes', 'other headers still do');
  });
});
