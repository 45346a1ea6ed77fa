// HTTP/1 request framing the proxy must not forward as something else: more header lines than the limit (Node
// would drop the rest silently, Content-Length included), a transfer coding other than chunked (lost when the
// body is re-framed), two Host headers. Each is refused with its status and weft-proxy-error on the outbound and
// the inbound port, and the app behind never sees the request. The requests are written as raw bytes: Node's
// and undici's clients refuse to send them.
import t, { type Test } from 'tap';
import type { HostPort } from '../../common/address';
import { ENV, PROXY_ERROR } from '../../common/contract';
import { MAX_HEADER_BYTES } from '../../proxy/http/servers';
import { EchoServer, startEchoServer } from '../fixtures/http-backends';
import { rawExchange, send } from '../fixtures/http-client';
import { serviceAt, startProxy } from '../fixtures/proxy-process';

const AUTHORITY = 'web.test:8080';
const DEFAULT_MAX_HEADERS = 100;

/** x-line-N header lines, one per filler. */
const fillerLines = (n: number): string => Array.from({ length: n }, (_, i) => `x-line-${i}: ${i}\r\n`).join('');

/** A request of exactly `lines` header lines: Host, Connection: close, fillers, and Content-Length last; body `hello`. */
function requestWithLines(path: string, lines: number): string {
  return `POST ${path} HTTP/1.1\r\nHost: ${AUTHORITY}\r\nConnection: close\r\n${fillerLines(lines - 3)}Content-Length: 5\r\n\r\nhello`;
}

function fillersSeen(echo: EchoServer, path: string): number | undefined {
  const seen = echo.seen.find((r) => r.url === path);
  return seen && Object.keys(seen.headers).filter((name) => name.startsWith('x-line-')).length;
}

interface Refused {
  status: number;
  reason: string;
}

/** Writes `bytes`, expects `expected` with weft-proxy-error and the connection closed, and the app to see nothing at `path`. */
async function refused(t: Test, to: HostPort, echo: EchoServer, path: string, bytes: string, expected: Refused): Promise<void> {
  const { text, closed } = await rawExchange(to, bytes);
  t.match(text, new RegExp(`^HTTP/1\\.1 ${expected.status} `), `answered ${expected.status}`);
  t.match(text, new RegExp(`\r\n${PROXY_ERROR}: ${expected.reason}\r\n`, 'i'), `with ${PROXY_ERROR}: ${expected.reason}`);
  t.ok(closed, 'and the connection is closed');
  // A normal request through the same proxy, answered after the refused one: had that one been forwarded, the
  // app would have seen it first.
  const after = `${path}/after`;
  t.equal((await send(to, { authority: AUTHORITY, path: after })).status, 200, 'a normal request after it is served');
  t.ok(echo.seen.some((r) => r.url === after), 'and reaches the app');
  t.notOk(echo.seen.some((r) => r.url === path), 'the refused request never reached the app');
}

/** The framing cases, against one port whose requests end at `echo`. */
function framingCases(t: Test, name: string, to: () => HostPort, echo: () => EchoServer) {
  t.test(`${name}: exactly ${DEFAULT_MAX_HEADERS} header lines are forwarded whole`, async (t) => {
    const reply = await rawExchange(to(), requestWithLines('/at-limit', DEFAULT_MAX_HEADERS));
    t.match(reply.text, /^HTTP\/1\.1 200 /);
    t.equal(fillersSeen(echo(), '/at-limit'), DEFAULT_MAX_HEADERS - 3, 'the app saw every header line');
    t.equal(echo().seen.find((r) => r.url === '/at-limit')?.body, 'hello', 'and the body');
  });

  t.test(`${name}: ${DEFAULT_MAX_HEADERS + 1} header lines → 431`, (t) =>
    refused(t, to(), echo(), '/over-limit', requestWithLines('/over-limit', DEFAULT_MAX_HEADERS + 1), { status: 431, reason: 'too-many-headers' }));

  t.test(`${name}: 1,500 header lines, Content-Length last (the truncation report) → 431`, (t) =>
    refused(t, to(), echo(), '/truncated', requestWithLines('/truncated', 1500), { status: 431, reason: 'too-many-headers' }));

  const chunkedBody = '5\r\nhello\r\n0\r\n\r\n';
  t.test(`${name}: Transfer-Encoding: gzip, chunked → 501`, (t) =>
    refused(t, to(), echo(), '/gzip', `POST /gzip HTTP/1.1\r\nHost: ${AUTHORITY}\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${chunkedBody}`, {
      status: 501,
      reason: 'unsupported-transfer-coding',
    }));

  t.test(`${name}: gzip and chunked on two Transfer-Encoding lines → 501`, (t) =>
    refused(t, to(), echo(), '/gzip-lines', `POST /gzip-lines HTTP/1.1\r\nHost: ${AUTHORITY}\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}`, {
      status: 501,
      reason: 'unsupported-transfer-coding',
    }));

  t.test(`${name}: Transfer-Encoding: chunked is forwarded, body intact`, async (t) => {
    const reply = await rawExchange(to(), `POST /chunked HTTP/1.1\r\nHost: ${AUTHORITY}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunkedBody}`);
    t.match(reply.text, /^HTTP\/1\.1 200 /);
    t.equal(echo().seen.find((r) => r.url === '/chunked')?.body, 'hello');
  });

  t.test(`${name}: two Host headers → 400`, (t) =>
    refused(t, to(), echo(), '/two-hosts', `GET /two-hosts HTTP/1.1\r\nHost: ${AUTHORITY}\r\nHost: elsewhere.test\r\n\r\n`, { status: 400, reason: 'malformed-request' }));

  t.test(`${name}: an Upgrade request with ${DEFAULT_MAX_HEADERS + 1} header lines → 431, and no upgrade reaches the app`, async (t) => {
    const upgrades: string[] = [];
    const onUpgrade = (req: { url?: string }) => upgrades.push(req.url ?? '');
    echo().server.on('upgrade', onUpgrade);
    t.teardown(() => void echo().server.off('upgrade', onUpgrade));
    const head = `GET /ws HTTP/1.1\r\nHost: ${AUTHORITY}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${fillerLines(DEFAULT_MAX_HEADERS - 2)}\r\n`;
    await refused(t, to(), echo(), '/ws', head, { status: 431, reason: 'too-many-headers' });
    t.same(upgrades, [], 'the app saw no upgrade');
  });
}

t.test('outbound, one hop to an HTTP/1 app', async (t) => {
  const echo = await startEchoServer(t);
  const proxy = await startProxy(t, { services: [serviceAt(AUTHORITY, echo.addr)] });
  framingCases(t, 'outbound', () => proxy.outbound, () => echo);
  t.test('refusals are logged as warnings naming the reason', async (t) => {
    for (const reason of ['too-many-headers', 'unsupported-transfer-coding', 'malformed-request']) t.match(proxy.logs(), new RegExp(`"level":40[^\\n]*"reason":"${reason}"`));
  });
});

t.test('inbound, from a client outside the mesh', async (t) => {
  const echo = await startEchoServer(t);
  const proxy = await startProxy(t, { app: echo.addr });
  framingCases(t, 'inbound', () => proxy.inbound, () => echo);
});

t.test('two hops: the edge refuses, and what it forwards the far proxy takes whole', async (t) => {
  const echo = await startEchoServer(t);
  const far = await startProxy(t, { app: echo.addr });
  const edge = await startProxy(t, { services: [serviceAt(AUTHORITY, far.inbound, { protocol: 'h2' })] });
  framingCases(t, 'two hops', () => edge.outbound, () => echo);
});

t.test('a raised limit holds across two hops: the headers weft adds on the h2 hop are not counted', async (t) => {
  const limit = 1000;
  const env = { [ENV.httpMaxHeaders]: String(limit) };
  const echo = await startEchoServer(t);
  const far = await startProxy(t, { app: echo.addr, env });
  const edge = await startProxy(t, { services: [serviceAt(AUTHORITY, far.inbound, { protocol: 'h2' })], env });
  const reply = await rawExchange(edge.outbound, requestWithLines('/raised', limit));
  t.match(reply.text, /^HTTP\/1\.1 200 /, `${limit} header lines answered 200 through both proxies`);
  t.equal(fillersSeen(echo, '/raised'), limit - 3, 'the app saw every header line');
  await refused(t, edge.outbound, echo, '/raised-over', requestWithLines('/raised-over', limit + 1), { status: 431, reason: 'too-many-headers' });
  t.equal((await send(edge.outbound, { authority: AUTHORITY, path: '/plain' })).status, 200, 'ordinary requests are served');
});

t.test('a head just under 64 KiB crosses two hops, though HPACK bounds it larger than HTTP/1 does', async (t) => {
  const echo = await startEchoServer(t, undefined, { maxHeaderSize: MAX_HEADER_BYTES });
  const far = await startProxy(t, { app: echo.addr });
  const edge = await startProxy(t, { services: [serviceAt(AUTHORITY, far.inbound, { protocol: 'h2' })] });
  const fillers = DEFAULT_MAX_HEADERS - 3;
  // Each filler line `x-line-NN: vvv…\r\n` as long as fits with 512 bytes left for the rest of the head.
  const value = 'v'.repeat(Math.floor((MAX_HEADER_BYTES - 512) / fillers) - 'x-line-NN: \r\n'.length);
  const lines = Array.from({ length: fillers }, (_, i) => `x-line-${String(i).padStart(2, '0')}: ${value}\r\n`).join('');
  const request = `POST /big HTTP/1.1\r\nHost: ${AUTHORITY}\r\nConnection: close\r\n${lines}Content-Length: 5\r\n\r\nhello`;
  t.ok(request.length > MAX_HEADER_BYTES - 512 && request.length < MAX_HEADER_BYTES, `a ${request.length}-byte head`);
  const reply = await rawExchange(edge.outbound, request);
  t.match(reply.text, /^HTTP\/1\.1 200 /, 'answered 200 through both proxies');
  t.equal(fillersSeen(echo, '/big'), fillers, 'the app saw every header line');
});
