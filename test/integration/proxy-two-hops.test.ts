// HTTP/1.1 across two proxies: app → proxy A outbound → (one h2 connection, weft-orig-proto) → proxy B inbound
// → app. The far app must see the request the client sent, exactly as if it had been sent directly.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import t from 'tap';
import { DST_OVERRIDE, HOP_BY_HOP, METRIC, ORIG_PROTO, WEFT_HEADER_PREFIX } from '../../common/contract';
import { SeenRequest, startEchoServer } from '../fixtures/http-backends';
import { send, SendOptions } from '../fixtures/http-client';
import { metricValue, serviceAt, startProxy } from '../fixtures/proxy-process';

const AUTHORITY = 'web.test:8080';
const CONCURRENT_REQUESTS = 50;

/** The end-to-end part of a request as a server saw it: hop-by-hop headers are each connection's own. */
function endToEnd(seen: SeenRequest) {
  const headers = Object.fromEntries(Object.entries(seen.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
  return { method: seen.method, url: seen.url, headers, body: seen.body };
}

t.test('two hops over h2 between proxies', async (t) => {
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

  t.test('concurrent requests share one connection between the proxies', async (t) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT_REQUESTS });
    t.teardown(() => agent.destroy());
    const replies = await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, (_, i) => send(proxyA.outbound, { authority: AUTHORITY, path: `/concurrent/${i}`, agent })),
    );
    t.equal(replies.filter((r) => r.status === 200).length, CONCURRENT_REQUESTS, 'every request answered 200');
    const clientConnections = metricValue(await proxyA.metrics(), METRIC.tcpOpenTotal, { direction: 'outbound', peer: 'src' });
    t.ok(clientConnections > 1, `the client really used several connections to proxy A (${clientConnections})`);
    t.equal(metricValue(await proxyB.metrics(), METRIC.tcpOpenTotal, { direction: 'inbound', peer: 'src' }), 1, 'proxy B accepted one connection in all');
    t.equal(metricValue(await proxyA.metrics(), METRIC.tcpOpenTotal, { direction: 'outbound', peer: 'dst' }), 1, 'proxy A opened one connection to B');
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
