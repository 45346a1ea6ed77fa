// Protocol detection: classify() on byte prefixes, and detectProtocol() on real loopback sockets, where what
// detection read must be handed on intact.
import * as net from 'node:net';
import t, { type Test } from 'tap';
import { classify, classifyFinal, DETECT_MAX_BYTES, detectProtocol } from '../../../../proxy/transport/detect';
import { guardProbe } from '../../../fixtures/guard-probe';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const LONG_TIMEOUT_MS = 10_000;

t.test('classify', async (t) => {
  const cases: [string, Buffer | string, ReturnType<typeof classify>][] = [
    ['the whole h2 preface', PREFACE, 'h2'],
    ['the preface and a SETTINGS frame', Buffer.concat([Buffer.from(PREFACE), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]), 'h2'],
    ['a prefix of the preface', PREFACE.slice(0, 10), undefined],
    ['one byte of the preface', 'P', undefined],
    ['GET request line', 'GET / HTTP/1.1\r\n', 'http1'],
    ['POST (shares P with the preface)', 'POST /x HTTP/1.1\r\n', 'http1'],
    ['PRI with HTTP/1.1 (diverges from the preface)', 'PRI * HTTP/1.1\r\n', 'http1'],
    ['the h2 request line, then something else', 'PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n', 'bad-h2-preface'],
    ['the h2 request line with a bad line end', 'PRI * HTTP/2.0\n\n', 'bad-h2-preface'],
    ['the h2 request line, not yet the rest', 'PRI * HTTP/2.0\r\n', undefined],
    ['an extension method', 'PROPFIND /a HTTP/1.1\r\n', 'http1'],
    ['a method still being typed', 'DELE', undefined],
    ['a lower-case method', 'get / HTTP/1.1\r\n', 'opaque'],
    ['a leading space', ' GET / HTTP/1.1', 'opaque'],
    ['a TLS ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), 'opaque'],
    ['a Redis command', '*1\r\n$4\r\nPING\r\n', 'opaque'],
    ['an upper-case token too long to be a method', 'A'.repeat(30), 'opaque'],
  ];
  for (const [name, input, expected] of cases) t.equal(classify(Buffer.from(input)), expected, name);
});

t.test('classifyFinal: what a connection that sends no more turns out to be', async (t) => {
  t.equal(classifyFinal(Buffer.alloc(0)), undefined, 'nothing at all');
  t.equal(classifyFinal(Buffer.from('PRI * HTTP/2.0\r\n\r\n')), 'bad-h2-preface', 'a preface cut short after its request line');
  t.equal(classifyFinal(Buffer.from('PRI * HT')), 'opaque', 'too little to have claimed HTTP/2');
  t.equal(classifyFinal(Buffer.from('GE')), 'opaque');
});

interface Pair {
  client: net.Socket;
  server: net.Socket;
}

/** A connected client/server socket pair on loopback, both destroyed when the test ends. */
async function socketPair(t: Test): Promise<Pair> {
  const listener = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect({ port: (listener.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  const server = await accepted;
  listener.close();
  t.teardown(() => {
    client.destroy();
    server.destroy();
  });
  return { client, server };
}

/** Everything the socket delivers from now until `expectedLength` bytes, or until it ends (Infinity: until it ends). */
function readBytes(socket: net.Socket, expectedLength: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const done = () => resolve(Buffer.concat(chunks));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      length += c.length;
      if (length >= expectedLength) done();
    });
    socket.once('end', done);
    socket.resume();
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('detectProtocol', async (t) => {
  t.test('h2 preface, then the bytes are put back for the HTTP/2 server', async (t) => {
    const { client, server } = await socketPair(t);
    const sent = Buffer.concat([Buffer.from(PREFACE), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);
    client.write(sent);
    t.equal(await detectProtocol(server, LONG_TIMEOUT_MS, guardProbe().guard), 'h2');
    t.ok(server.isPaused(), 'the socket is left paused for its next owner');
    t.same(await readBytes(server, sent.length), sent, 'the bytes read come out again, intact');
  });

  t.test('a preface split across writes', async (t) => {
    const { client, server } = await socketPair(t);
    const detected = detectProtocol(server, LONG_TIMEOUT_MS, guardProbe().guard);
    for (const piece of [PREFACE.slice(0, 3), PREFACE.slice(3, 15), PREFACE.slice(15)]) {
      client.write(piece);
      await pause(20);
    }
    t.equal(await detected, 'h2');
    t.equal((await readBytes(server, PREFACE.length)).toString('latin1'), PREFACE);
  });

  t.test('HTTP/1 request line, then later bytes follow the put-back ones in order', async (t) => {
    const { client, server } = await socketPair(t);
    const head = 'GET /path HTTP/1.1\r\nhost: a\r\n';
    client.write(head);
    t.equal(await detectProtocol(server, LONG_TIMEOUT_MS, guardProbe().guard), 'http1');
    client.write('\r\n');
    t.equal((await readBytes(server, head.length + 2)).toString('latin1'), `${head}\r\n`);
  });

  t.test('opaque bytes are detected at once, not after the timeout', async (t) => {
    const { client, server } = await socketPair(t);
    const sent = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]);
    client.write(sent);
    const started = Date.now();
    t.equal(await detectProtocol(server, LONG_TIMEOUT_MS, guardProbe().guard), 'opaque');
    t.ok(Date.now() - started < 1000, 'well before the detect timeout');
    t.same(await readBytes(server, sent.length), sent);
  });

  t.test(`never waits for more than ${DETECT_MAX_BYTES} bytes`, async (t) => {
    // Upper-case letters look like a method being typed for as long as possible; detection must still end.
    const { client, server } = await socketPair(t);
    const sent = Buffer.alloc(DETECT_MAX_BYTES, 'A');
    const started = Date.now();
    client.write(sent);
    t.equal(await detectProtocol(server, LONG_TIMEOUT_MS, guardProbe().guard), 'opaque');
    t.ok(Date.now() - started < 1000, 'without waiting for the timeout');
    t.same(await readBytes(server, sent.length), sent, 'all of it put back');
  });

  t.test('a large first read is put back whole', async (t) => {
    const { client, server } = await socketPair(t);
    const sent = Buffer.from(`POST / HTTP/1.1\r\nx-big: ${'b'.repeat(256 * 1024)}\r\n\r\n`);
    client.write(sent);
    t.equal(await detectProtocol(server, LONG_TIMEOUT_MS, guardProbe().guard), 'http1');
    t.same(await readBytes(server, sent.length), sent);
  });

  t.test('the timeout means opaque, with what arrived put back', async (t) => {
    const { client, server } = await socketPair(t);
    client.write('GE');
    const started = Date.now();
    t.equal(await detectProtocol(server, 200, guardProbe().guard), 'opaque');
    t.ok(Date.now() - started >= 150, 'only after the timeout');
    client.end('T more');
    t.equal((await readBytes(server, 7)).toString('latin1'), 'GET more');
  });

  t.test('a silent client (server speaks first) is opaque after the timeout', async (t) => {
    const { server } = await socketPair(t);
    t.equal(await detectProtocol(server, 100, guardProbe().guard), 'opaque');
  });

  t.test('a client that sends a few bytes and half-closes is opaque at once', async (t) => {
    const { client, server } = await socketPair(t);
    client.end('GE');
    t.equal(await detectProtocol(server, LONG_TIMEOUT_MS, guardProbe().guard), 'opaque');
    t.equal((await readBytes(server, Infinity)).toString('latin1'), 'GE', 'the bytes, then the end');
  });

  t.test('a preface cut short, then a half-close: a broken HTTP/2 client, not opaque bytes', async (t) => {
    const { client, server } = await socketPair(t);
    client.end(PREFACE.slice(0, 18));
    t.equal(await detectProtocol(server, LONG_TIMEOUT_MS, guardProbe().guard), 'bad-h2-preface');
  });

  t.test('a preface cut short, then silence: a broken HTTP/2 client after the timeout', async (t) => {
    const { client, server } = await socketPair(t);
    client.write(PREFACE.slice(0, 16));
    t.equal(await detectProtocol(server, 200, guardProbe().guard), 'bad-h2-preface');
  });

  t.test('a fault inside detection is contained by the connection guard', async (t) => {
    const { client, server } = await socketPair(t);
    const probe = guardProbe(() => server.destroy());
    // Detection's own read() throwing stands in for a bug in detection (Node's internal read(0) still works).
    const read = server.read.bind(server);
    server.read = (size?: number) => {
      if (size === undefined) throw new Error('broken read');
      return read(size) as unknown;
    };
    const detected = detectProtocol(server, LONG_TIMEOUT_MS, probe.guard);
    client.write('GET / HTTP/1.1\r\n');
    t.equal(await detected, undefined, 'detection ends: the connection was closed');
    t.ok(server.destroyed, 'the server side was destroyed');
    t.equal(await probe.counted(), 1, 'the fault was counted once');
    t.match(probe.errors, [{ msg: /internal error contained/, err: { message: 'broken read' } }], 'and logged once at error');
  });

  t.test('a client that closes without a byte gives nothing to forward', async (t) => {
    const { client, server } = await socketPair(t);
    client.end();
    t.equal(await detectProtocol(server, LONG_TIMEOUT_MS, guardProbe().guard), undefined);
  });
});
