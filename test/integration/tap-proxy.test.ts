// The proxy's tap port with real processes: two meshed proxies (web → books over mTLS) and a real gRPC client
// on their tap ports. Only the tap identity is served; events carry what the contract lists, filters select,
// the rate bound drops and counts; and the tap code is not even loaded until a tap connection comes.
import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { identityName, TAP_METRIC } from '../../common/contract';
import { formatHostPort } from '../../common/address';
import { tlsChannel } from '../../common/grpc-tls';
import { ObserveRequest, TapClient, TapEvent } from '../../common/tap-api';
import { observeProxy } from '../../controller/tap/proxy-client';
import { createEchoClient, startGrpcEcho } from '../fixtures/grpc-echo';
import { startEchoServer } from '../fixtures/http-backends';
import { send, waitFor } from '../fixtures/http-client';
import { leafFor, startTestIdentityService, tapLeafFor, TestLeaf } from '../fixtures/identity';
import { connectInspector, INSPECT_FLAGS } from '../fixtures/inspector';
import { metricValue, ProxyProcess, serviceAt, startProxy } from '../fixtures/proxy-process';

const BOOKS = 'books.test.svc.cluster.local:8080';
const UNKNOWN = 'nowhere.test.svc.cluster.local:8080';
const WEB_ID = identityName('web', 'test');
const BOOKS_ID = identityName('books', 'test');
const BOOKS_LABELS = { namespace: 'test', service: 'books', pod: 'books-0' };
const ECHO = 'echo.test.svc.cluster.local:9090';
/** grpc-js status code NOT_FOUND, what the echo server is asked to fail with. */
const NOT_FOUND = 5;

interface OpenTap {
  events: TapEvent[];
  ended: Promise<string | undefined>;
  cancel(): void;
}

t.test('tap on meshed proxies', async (t) => {
  const identity = await startTestIdentityService(t);
  const grpcEcho = await startGrpcEcho(t);
  const app = await startEchoServer(t, (req, res) => {
    if (!req.url?.startsWith('/fail')) return false;
    res.writeHead(500, { 'content-type': 'text/plain' }).end('failed\n');
    return true;
  });
  const books = await startProxy(t, { identity: identity.proxyEnv('books'), app: app.addr, nodeFlags: INSPECT_FLAGS });
  const web = await startProxy(t, {
    identity: identity.proxyEnv('web'),
    services: [serviceAt(BOOKS, books.inbound, { protocol: 'h2', identity: BOOKS_ID, labels: BOOKS_LABELS }), serviceAt(ECHO, grpcEcho)],
  });
  const anchors = identity.anchor.certPem;
  const asTap = tapLeafFor(identity.issuer);
  const open = (proxy: ProxyProcess, serverId: string, request: Partial<ObserveRequest>, leaf: TestLeaf = asTap): OpenTap => {
    const events: TapEvent[] = [];
    const tap = observeProxy({ addr: proxy.tap!, identity: serverId, trustAnchorsPem: anchors }, leaf, { maxRps: 0, match: null, ...request }, (e) => events.push(e));
    t.teardown(() => tap.cancel());
    return { events, ended: tap.ended, cancel: () => tap.cancel() };
  };
  /** Open taps take effect once the proxy counts them (the stream is up). */
  const tapsOpen = async (proxy: ProxyProcess, n: number) => waitFor(`${n} taps open`, async () => metricValue(await proxy.metrics(), TAP_METRIC.openTaps) === n, 15_000);
  const inspector = await connectInspector(t, books.logs);
  const tapModules = async () => ((await inspector.evaluate("Object.keys(require.cache).filter((f) => /[\\\\/]proxy[\\\\/]tap[\\\\/]/.test(f)).map((f) => f.replace(/.*[\\\\/]proxy[\\\\/]tap[\\\\/]/, ''))")) as string[]).sort();

  t.test('an identity-disabled proxy serves no tap port', async (t) => {
    const plain = await startProxy(t, { app: app.addr });
    t.equal(plain.tap, undefined, 'its ready line names no tap address');
    t.notOk(/"tap":/.test(plain.logs()), 'nothing listens for tap');
  });

  t.test('while no tap was ever opened, none of the tap code is loaded', async (t) => {
    await send(books.inbound, { authority: BOOKS, path: '/warm-up' });
    t.same(await tapModules(), ['gate.ts', 'listener.ts'], 'only the request path\'s gate and the bare listener are in require.cache');
  });

  t.test('events carry the request, the response and who was on each end', async (t) => {
    const outbound = open(web, WEB_ID, {});
    const inbound = open(books, BOOKS_ID, {});
    await Promise.all([tapsOpen(web, 1), tapsOpen(books, 1)]);
    t.ok((await tapModules()).includes('server.ts'), 'the tap server is loaded now');
    const reply = await send(web.outbound, { authority: BOOKS, path: '/books/1?full=yes' });
    t.equal(reply.status, 200);
    const failed = await send(web.outbound, { authority: UNKNOWN, method: 'DELETE', path: '/gone' });
    t.equal(failed.status, 503);
    await waitFor('both outbound events and the inbound one', () => outbound.events.length >= 2 && inbound.events.length >= 1, 10_000);

    const [out, unknown] = outbound.events;
    t.match(out, {
      direction: 'outbound',
      method: 'GET',
      authority: BOOKS,
      path: '/books/1?full=yes',
      status: 200,
      responseBytes: reply.body.length,
      tls: true,
      serverId: BOOKS_ID,
      clientId: '',
      proxyError: '',
      targetAddr: `${books.inbound.host}:${books.inbound.port}`,
      dstLabels: BOOKS_LABELS,
    });
    t.notOk('grpcStatus' in out, 'no gRPC status for an HTTP/1 request');
    t.ok(out.latencyMs > 0 && out.durationMs >= out.latencyMs, `latency ${out.latencyMs} ms ≤ duration ${out.durationMs} ms`);
    t.ok(Math.abs(out.timeMs - Date.now()) < 60_000, 'time is the wall clock in ms');
    t.match(unknown, { direction: 'outbound', method: 'DELETE', authority: UNKNOWN, status: 503, proxyError: 'unknown-authority', tls: false, noTlsReason: 'not_provided_by_service_discovery' });

    const [into] = inbound.events;
    t.match(into, { direction: 'inbound', method: 'GET', path: '/books/1?full=yes', status: 200, tls: true, clientId: WEB_ID, responseBytes: reply.body.length });
    t.equal(into.targetAddr, `${app.addr.host}:${app.addr.port}`, 'inbound names the app');
    outbound.cancel();
    inbound.cancel();
    await Promise.all([tapsOpen(web, 0), tapsOpen(books, 0)]);
  });

  t.test('a gRPC request carries its grpc-status', async (t) => {
    const tap = open(web, WEB_ID, { match: { direction: 'outbound', authority: ECHO, method: '', pathPrefix: '', to: null, from: null } });
    await tapsOpen(web, 1);
    const client = createEchoClient(formatHostPort(web.outbound), { 'grpc.default_authority': ECHO });
    t.teardown(() => client.close());
    const code = await new Promise<number>((resolve) => client.Unary({ text: 'no such book', failWith: NOT_FOUND }, new grpc.Metadata(), {}, (err) => resolve(err?.code ?? 0)));
    t.equal(code, NOT_FOUND);
    await waitFor('the gRPC event', () => tap.events.length >= 1, 10_000);
    t.match(tap.events[0], { method: 'POST', authority: ECHO, path: '/weft.test.Echo/Unary', status: 200, grpcStatus: NOT_FOUND, proxyError: '' });
    tap.cancel();
    await tapsOpen(web, 0);
  });

  t.test('filters: method, path prefix, authority, direction and the peer', async (t) => {
    const posts = open(web, WEB_ID, { match: { direction: '', authority: '', method: 'POST', pathPrefix: '/orders', to: null, from: null } });
    const toBooksPod = open(web, WEB_ID, { match: { direction: '', authority: '', method: '', pathPrefix: '', to: { namespace: 'test', services: [], pods: ['books-0'], identities: [], ips: [] }, from: null } });
    const toOtherPod = open(web, WEB_ID, { match: { direction: '', authority: '', method: '', pathPrefix: '', to: { namespace: 'test', services: [], pods: ['books-1'], identities: [], ips: [] }, from: null } });
    const fromWeb = open(books, BOOKS_ID, { match: { direction: '', authority: BOOKS.toUpperCase(), method: '', pathPrefix: '', to: null, from: { namespace: 'test', services: [], pods: [], identities: [WEB_ID], ips: [] } } });
    const fromElsewhere = open(books, BOOKS_ID, { match: { direction: '', authority: '', method: '', pathPrefix: '', to: null, from: { namespace: 'other', services: [], pods: [], identities: [], ips: [] } } });
    await Promise.all([tapsOpen(web, 3), tapsOpen(books, 2)]);
    await send(web.outbound, { authority: BOOKS, method: 'GET', path: '/orders/1' });
    await send(web.outbound, { authority: BOOKS, method: 'POST', path: '/carts', body: 'x' });
    await send(web.outbound, { authority: BOOKS, method: 'POST', path: '/orders/2', body: 'y' });
    await waitFor('the matching events', () => posts.events.length >= 1 && toBooksPod.events.length >= 3 && fromWeb.events.length >= 3, 10_000);
    // One more request, after which every event of the three is in (streams keep their order).
    await send(web.outbound, { authority: BOOKS, method: 'POST', path: '/orders/3', body: 'z' });
    await waitFor('the last events', () => posts.events.length >= 2 && toBooksPod.events.length >= 4 && fromWeb.events.length >= 4, 10_000);
    t.same(posts.events.map((e) => `${e.method} ${e.path}`), ['POST /orders/2', 'POST /orders/3'], 'only POSTs under /orders');
    t.equal(toBooksPod.events.length, 4, 'every request went to the books-0 pod');
    t.ok(toBooksPod.events.every((e) => e.direction === 'outbound'), '`to` selects outbound requests');
    t.equal(toOtherPod.events.length, 0, 'none went to books-1');
    t.equal(fromWeb.events.length, 4, 'books saw all four from web (authority compared without case)');
    t.ok(fromWeb.events.every((e) => e.direction === 'inbound' && e.clientId === WEB_ID));
    t.equal(fromElsewhere.events.length, 0, 'none came from namespace other');
    for (const tap of [posts, toBooksPod, toOtherPod, fromWeb, fromElsewhere]) tap.cancel();
    await Promise.all([tapsOpen(web, 0), tapsOpen(books, 0)]);
  });

  t.test('the rate bound: events past max_rps are dropped and counted', async (t) => {
    const before = metricValue(await web.metrics(), TAP_METRIC.eventsDroppedTotal, { reason: 'rate' });
    const slow = open(web, WEB_ID, { maxRps: 1 });
    await tapsOpen(web, 1);
    const REQUESTS = 20;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    t.teardown(() => agent.destroy());
    await Promise.all(Array.from({ length: REQUESTS }, (_, i) => send(web.outbound, { authority: BOOKS, path: `/burst/${i}`, agent })));
    let dropped = 0;
    await waitFor('every request delivered or counted', async () => {
      dropped = metricValue(await web.metrics(), TAP_METRIC.eventsDroppedTotal, { reason: 'rate' }) - before;
      return slow.events.length + dropped === REQUESTS;
    }, 10_000);
    t.ok(slow.events.length >= 1 && slow.events.length <= 3, `at most about one a second got through (${slow.events.length}; the burst took under a few seconds)`);
    t.equal(dropped, REQUESTS - slow.events.length, `${TAP_METRIC.eventsDroppedTotal}{reason="rate"} counts the rest`);
    slow.cancel();
    await tapsOpen(web, 0);
  });

  t.test('a caller with another mesh identity gets PERMISSION_DENIED', async (t) => {
    const intruder = open(books, BOOKS_ID, {}, leafFor(identity.issuer, 'web'));
    const why = await intruder.ended;
    t.match(why, /^PERMISSION_DENIED: tap is served to weft-tap\.weft\.serviceaccount\.identity\.weft\.cluster\.local only, not to web\.test\.serviceaccount/);
    t.equal(metricValue(await books.metrics(), TAP_METRIC.openTaps), 0, 'no tap was opened');
    t.match(books.logs(), /"tap refused"/, 'the refusal is logged');
  });

  t.test('a caller without a certificate from the trust anchors is refused in the TLS handshake', async (t) => {
    const { anchor, issuer } = await startTestIdentityService(t);
    t.not(anchor.certPem, anchors);
    const foreign = open(books, BOOKS_ID, {}, tapLeafFor(issuer));
    const why = await foreign.ended;
    t.comment(why);
    t.match(why, /^UNAVAILABLE/, 'a tap identity from another mesh never gets a call through');
  });

  t.test('a caller with no client certificate is refused in the TLS handshake', async (t) => {
    const channel = tlsChannel({ name: BOOKS_ID, trustAnchorsPem: anchors });
    const client = new TapClient(formatHostPort(books.tap!), channel.credentials, channel.options) as unknown as grpc.Client & { observe(r: ObserveRequest): grpc.ClientReadableStream<TapEvent> };
    t.teardown(() => client.close());
    const call = client.observe({ maxRps: 0, match: null });
    const err = await new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    t.equal(err.code, grpc.status.UNAVAILABLE, `refused before any call: ${err.details}`);
  });

  t.test('nothing a tap client does ends the proxy', async (t) => {
    for (const proxy of [web, books]) t.equal(proxy.child.exitCode, null, 'still running');
    const reply = await send(web.outbound, { authority: BOOKS, path: '/after' });
    t.equal(reply.status, 200);
  });
});
