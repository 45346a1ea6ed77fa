// HTTP/1.1 through weft-proxy's outbound port, one hop to plain servers: keep-alive, chunked bodies, trailers,
// 100-continue, Upgrade, the three ways to name the destination, and the hop-by-hop header rules.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import t from 'tap';
import { DST_OVERRIDE, METRIC } from '../../common/contract';
import { listenOnLoopback, SeenRequest, startEchoServer } from '../fixtures/http-backends';
import { send } from '../fixtures/http-client';
import { metricValue, serviceAt, startProxy } from '../fixtures/proxy-process';

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');
const BULK_BYTES = 5 * 1024 * 1024;
const bulkResponse = crypto.randomBytes(BULK_BYTES);

t.test('HTTP/1.1 through the outbound port to a plain server', async (t) => {
  let echoConnections = 0;
  const echo = await startEchoServer(t, (req, res) => answerWithHopHeaders(req, res));
  echo.server.on('connection', () => echoConnections++);
  const other = await startEchoServer(t);
  const bulk = await listenOnLoopback(t, http.createServer(answerBulk));
  const trailers = await listenOnLoopback(t, http.createServer(answerWithTrailers));
  const upgradeServer = http.createServer((_req, res) => res.writeHead(426).end());
  upgradeServer.on('upgrade', acceptEchoUpgrade);
  const upgrade = await listenOnLoopback(t, upgradeServer);

  const proxy = await startProxy(t, {
    services: [
      serviceAt('echo.test:80', echo.addr),
      serviceAt('other.test:80', other.addr),
      serviceAt('bulk.test:80', bulk),
      serviceAt('trailers.test:80', trailers),
      serviceAt('upgrade.test:80', upgrade),
    ],
  });
  const lastSeen = (server: { seen: SeenRequest[] }) => server.seen[server.seen.length - 1];

  t.test('keep-alive: several requests share one client connection and one upstream connection', async (t) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => agent.destroy());
    const srcLabels = { direction: 'outbound', peer: 'src' };
    const openedBefore = metricValue(await proxy.metrics(), METRIC.tcpOpenTotal, srcLabels);
    const echoConnectionsBefore = echoConnections;
    for (let i = 0; i < 5; i++) {
      const reply = await send(proxy.outbound, { authority: 'echo.test', path: `/keep-alive/${i}`, agent });
      t.equal(reply.status, 200, `request ${i} answered`);
      t.equal(lastSeen(echo).url, `/keep-alive/${i}`, `request ${i} reached the server`);
    }
    const opened = metricValue(await proxy.metrics(), METRIC.tcpOpenTotal, srcLabels) - openedBefore;
    t.equal(opened, 1, 'the proxy accepted exactly one client connection for the five requests');
    t.ok(echoConnections - echoConnectionsBefore <= 1, `the server saw at most one new connection (${echoConnections - echoConnectionsBefore})`);
  });

  t.test('chunked request and response bodies of 5 MB arrive intact', async (t) => {
    const body = crypto.randomBytes(BULK_BYTES);
    const reply = await send(proxy.outbound, { authority: 'bulk.test', path: '/upload', body, chunkBytes: 64 * 1024, timeoutMs: 30_000 });
    t.equal(reply.status, 200);
    t.equal(reply.headers['x-request-bytes'], String(BULK_BYTES), 'the server received every request byte');
    t.equal(reply.headers['x-request-sha256'], sha256(body), 'the request body the server hashed is the one sent');
    t.equal(reply.body.length, BULK_BYTES, 'the client received every response byte');
    t.equal(sha256(reply.body), sha256(bulkResponse), 'the response body is the one the server sent');
  });

  t.test('response trailers reach the client', async (t) => {
    const reply = await send(proxy.outbound, { authority: 'trailers.test', path: '/with-trailers' });
    t.equal(reply.status, 200);
    t.equal(reply.body.toString(), 'part one, part two');
    t.same(reply.trailers, { 'x-checksum': sha256(Buffer.from('part one, part two')), 'x-parts': '2' });
  });

  t.test('Expect: 100-continue: the client gets 100, sends its body, then the answer', async (t) => {
    const body = crypto.randomBytes(32 * 1024).toString('hex');
    const events: string[] = [];
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: proxy.outbound.host,
        port: proxy.outbound.port,
        method: 'PUT',
        path: '/expect',
        agent: false,
        timeout: 10_000,
        headers: { host: 'echo.test', expect: '100-continue', 'content-length': Buffer.byteLength(body) },
      });
      req.once('timeout', () => req.destroy(new Error('no 100 Continue or response within 10 s')));
      req.once('error', reject);
      req.once('continue', () => {
        events.push('100');
        req.end(body);
      });
      req.once('response', (res) => {
        events.push(String(res.statusCode));
        res.resume().once('end', () => resolve(res.statusCode!));
      });
    });
    t.equal(status, 200);
    t.same(events, ['100', '200'], '100 Continue came before the final answer');
    t.equal(lastSeen(echo).body, body, 'the body sent after 100 Continue reached the server intact');
  });

  t.test('Upgrade: the server answers 101, then raw bytes flow both ways', async (t) => {
    const { status, socket, head } = await new Promise<{ status: number; socket: Duplex; head: Buffer }>((resolve, reject) => {
      const req = http.request({
        host: proxy.outbound.host,
        port: proxy.outbound.port,
        path: '/socket',
        agent: false,
        headers: { host: 'upgrade.test', connection: 'Upgrade', upgrade: 'weft-echo' },
      });
      req.once('error', reject);
      req.once('response', (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
      req.once('upgrade', (res, socket, head) => resolve({ status: res.statusCode!, socket, head }));
      req.end();
    });
    t.teardown(() => socket.destroy());
    t.equal(status, 101);
    const payload = crypto.randomBytes(256 * 1024);
    const expected = Buffer.concat([Buffer.from(UPGRADE_GREETING), payload]);
    const received = await new Promise<Buffer>((resolve, reject) => {
      const chunks = [head];
      let length = head.length;
      const timer = setTimeout(() => reject(new Error(`only ${length} of ${expected.length} bytes came back`)), 10_000);
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        if ((length += c.length) >= expected.length) {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks));
        }
      });
      socket.write(payload);
    });
    t.equal(received.subarray(0, UPGRADE_GREETING.length).toString(), UPGRADE_GREETING, 'server → client: the greeting the server sent after 101');
    t.equal(sha256(received.subarray(UPGRADE_GREETING.length)), sha256(payload), 'client → server → client: every byte echoed');
  });

  t.test('absolute-form URI: the URI names the destination, not the Host header', async (t) => {
    const reply = await send(proxy.outbound, { authority: 'other.test', path: 'http://echo.test/absolute?q=1&r=two' });
    t.equal(reply.status, 200);
    const seen = JSON.parse(reply.body.toString()) as SeenRequest;
    t.equal(seen.url, '/absolute?q=1&r=two', 'the server got the origin-form path and query');
    t.equal(lastSeen(echo).url, '/absolute?q=1&r=two', 'the request went to echo.test');
    t.notOk(other.seen.some((r) => r.url.startsWith('/absolute')), 'nothing went to the Host header’s service');
  });

  t.test(`${DST_OVERRIDE}: routes by the override instead of Host`, async (t) => {
    const reply = await send(proxy.outbound, { authority: 'unknown.test', path: '/override', headers: { [DST_OVERRIDE]: 'other.test:80' } });
    t.equal(reply.status, 200);
    t.equal(lastSeen(other).url, '/override', 'the request reached the override’s service');
    t.equal(lastSeen(other).headers[DST_OVERRIDE], undefined, 'the override header is consumed by the proxy');
  });

  t.test('hop-by-hop headers are stripped both ways; end-to-end headers are kept', async (t) => {
    const reply = await send(proxy.outbound, {
      authority: 'echo.test',
      path: '/hop-by-hop',
      headers: {
        connection: 'keep-alive, x-hop-named',
        'x-hop-named': 'dropped',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        'x-end-to-end': 'kept',
        'cache-control': 'no-cache',
      },
    });
    t.equal(reply.status, 200);
    const seen = lastSeen(echo).headers;
    for (const name of ['x-hop-named', 'keep-alive', 'proxy-connection']) t.equal(seen[name], undefined, `request: ${name} stripped`);
    t.equal(seen['x-end-to-end'], 'kept', 'request: x-end-to-end kept');
    t.equal(seen['cache-control'], 'no-cache', 'request: cache-control kept');
    for (const name of ['x-resp-hop-named', 'proxy-connection']) t.equal(reply.headers[name], undefined, `response: ${name} stripped`);
    // The proxy's own server states its own keep-alive and connection terms; the upstream's must not leak.
    t.not(reply.headers['keep-alive'], 'timeout=5', 'response: the upstream’s keep-alive stripped');
    t.notMatch(reply.headers.connection ?? '', /x-resp-hop-named/, 'response: the upstream’s connection header stripped');
    t.equal(reply.headers['x-resp-end-to-end'], 'kept', 'response: x-resp-end-to-end kept');
    t.equal(reply.headers.etag, '"v1"', 'response: etag kept');
  });
});

/** /hop-by-hop answers with hop-by-hop headers of its own; everything else is echoed. */
function answerWithHopHeaders(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.url !== '/hop-by-hop') return false;
  res.writeHead(200, {
    connection: 'keep-alive, x-resp-hop-named',
    'x-resp-hop-named': 'dropped',
    'keep-alive': 'timeout=5',
    'proxy-connection': 'keep-alive',
    'x-resp-end-to-end': 'kept',
    etag: '"v1"',
  });
  res.end('ok');
  return true;
}

/** Hashes the request body as it streams in, then streams bulkResponse back chunked. */
function answerBulk(req: http.IncomingMessage, res: http.ServerResponse): void {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  req.on('data', (c: Buffer) => {
    hash.update(c);
    bytes += c.length;
  });
  req.once('end', () => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-request-sha256': hash.digest('hex'), 'x-request-bytes': String(bytes) });
    const piece = 100 * 1024;
    let offset = 0;
    const writeMore = (): void => {
      while (offset < bulkResponse.length) {
        if (!res.write(bulkResponse.subarray(offset, (offset += piece)))) return void res.once('drain', writeMore);
      }
      res.end();
    };
    writeMore();
  });
}

function answerWithTrailers(req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume().once('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum, x-parts' });
    res.write('part one, ');
    res.write('part two');
    res.addTrailers({ 'x-checksum': sha256(Buffer.from('part one, part two')), 'x-parts': '2' });
    res.end();
  });
}

const UPGRADE_GREETING = 'hello from the upgraded server\n';

/** Answers 101, greets, then echoes every byte back. */
function acceptEchoUpgrade(_req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: weft-echo\r\n\r\n');
  socket.write(UPGRADE_GREETING);
  if (head.length > 0) socket.write(head);
  socket.pipe(socket);
}
