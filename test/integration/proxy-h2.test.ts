// Plain HTTP/2 (prior knowledge) through one proxy to an h2 server: bodies both ways, trailers, many streams
// on one connection; and a client that breaks the protocol after the preface, or whose preface is broken, gets
// GOAWAY(PROTOCOL_ERROR) without disturbing anyone else.
import * as net from 'node:net';
import t from 'tap';
import { formatHostPort } from '../../common/address';
import { METRIC } from '../../common/contract';
import { BODY_SHA256, bodySha256, h2Connect, h2Request, startH2Backend } from '../fixtures/h2-backend';
import { metricValue, startProxy } from '../fixtures/proxy-process';

const AUTHORITY = 'h2.test.svc.cluster.local:8080';
const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const FRAME_GOAWAY = 0x7;
const PROTOCOL_ERROR = 0x1;
const CONCURRENT_STREAMS = 100;

interface Frame {
  type: number;
  payload: Buffer;
}

/** Reads HTTP/2 frames off a raw socket until it closes or `timeoutMs` passes. */
function readFrames(socket: net.Socket, timeoutMs: number): Promise<Frame[]> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const frames: Frame[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(frames);
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        const length = buf.readUIntBE(0, 3);
        frames.push({ type: buf[3], payload: buf.subarray(9, 9 + length) });
        buf = buf.subarray(9 + length);
      }
    });
    socket.once('close', done);
    socket.on('error', () => {});
  });
}

t.test('h2 through the outbound proxy', async (t) => {
  const backend = await startH2Backend(t);
  const proxy = await startProxy(t, { services: [{ authority: AUTHORITY, endpoints: [{ addr: formatHostPort(backend.addr) }] }] });

  t.test('request and response bodies, and response trailers', async (t) => {
    const session = h2Connect(t, proxy.outbound);
    const body = 'x'.repeat(256 * 1024) + 'end';
    const res = await h2Request(session, { ':method': 'POST', ':path': '/upload?q=1', ':authority': AUTHORITY }, body);
    t.equal(res.status, 200);
    const echoed = JSON.parse(res.body.toString('utf8')) as Record<string, string>;
    t.equal(echoed.method, 'POST');
    t.equal(echoed.path, '/upload?q=1');
    t.equal(echoed.authority, AUTHORITY, ':authority is passed on as the app wrote it');
    t.equal(echoed.body, body, 'the request body arrived whole');
    t.equal(res.trailers[BODY_SHA256], bodySha256(body), 'the response trailers arrived');
  });

  t.test('many concurrent streams on one client connection', async (t) => {
    const sessionsBefore = backend.sessions();
    const session = h2Connect(t, proxy.outbound);
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT_STREAMS }, (_, i) => h2Request(session, { ':method': 'POST', ':path': `/s/${i}`, ':authority': AUTHORITY }, `stream ${i}`)),
    );
    t.ok(
      responses.every((res, i) => res.status === 200 && JSON.parse(res.body.toString('utf8')).path === `/s/${i}` && res.trailers[BODY_SHA256] === bodySha256(`stream ${i}`)),
      'every stream got its own answer and trailers',
    );
    t.equal(backend.sessions() - sessionsBefore, 0, 'the proxy reused its one h2 session to the server');
    const text = await proxy.metrics();
    t.equal(metricValue(text, METRIC.responseTotal, { authority: AUTHORITY, status_code: '200', classification: 'success' }), CONCURRENT_STREAMS + 1);
  });

  t.test('garbage after the preface gets GOAWAY(PROTOCOL_ERROR); other clients are still served', async (t) => {
    const socket = net.connect(proxy.outbound.port, proxy.outbound.host);
    await new Promise((resolve) => socket.once('connect', resolve));
    const frames = readFrames(socket, 5000);
    socket.write(H2_PREFACE + 'this is not an HTTP/2 frame, it is just junk\r\n');
    const goaway = (await frames).find((f) => f.type === FRAME_GOAWAY);
    t.ok(goaway, 'a GOAWAY frame came back');
    t.equal(goaway?.payload.readUInt32BE(4), PROTOCOL_ERROR, 'with error code PROTOCOL_ERROR');

    const res = await h2Request(h2Connect(t, proxy.outbound), { ':method': 'GET', ':path': '/after', ':authority': AUTHORITY });
    t.equal(res.status, 200, 'a well-behaved client is served afterwards');
  });

  t.test('bytes that start like the preface but are not it get GOAWAY(PROTOCOL_ERROR), not an HTTP/1 400', async (t) => {
    for (const [port, addr] of [['outbound', proxy.outbound], ['inbound', proxy.inbound]] as const) {
      for (const bytes of ['PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n', 'PRI * HTTP/2.0\n\n']) {
        const socket = net.connect(addr.port, addr.host);
        await new Promise((resolve) => socket.once('connect', resolve));
        // The proxy's FIN, not readFrames giving up after its wait.
        const closed = new Promise<boolean>((resolve) => {
          socket.once('end', () => resolve(true)).once('close', () => resolve(false));
        });
        const received = new Promise<Buffer>((resolve) => {
          const chunks: Buffer[] = [];
          socket.on('data', (c: Buffer) => chunks.push(c)).once('close', () => resolve(Buffer.concat(chunks)));
        });
        const frames = readFrames(socket, 5000);
        socket.write(bytes);
        const goaway = (await frames).find((f) => f.type === FRAME_GOAWAY);
        t.equal(goaway?.payload.readUInt32BE(4), PROTOCOL_ERROR, `${port}, ${JSON.stringify(bytes)}: GOAWAY(PROTOCOL_ERROR)`);
        t.notMatch((await received).toString('latin1'), /HTTP\/1\.1/, 'no HTTP/1 answer');
        t.ok(await closed, 'and the proxy closed the connection');
      }
    }
    const res = await h2Request(h2Connect(t, proxy.outbound), { ':method': 'GET', ':path': '/after-bad-preface', ':authority': AUTHORITY });
    t.equal(res.status, 200, 'a well-behaved client is served afterwards');
  });
});
