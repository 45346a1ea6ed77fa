// The HTTP servers run each request in its guard: a handler that throws, or whose promise rejects, fails that
// request with 502 internal-error (gRPC: INTERNAL), once, and the connection goes on serving.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import t, { type Test } from 'tap';
import { PROXY_ERROR } from '../../../../common/contract';
import { createLogger } from '../../../../common/log';
import { createHttpServers, HttpHandlers } from '../../../../proxy/http/servers';
import { connectionGuard } from '../../../../proxy/transport/guard';
import { guardProbe } from '../../../fixtures/guard-probe';

/** Servers whose requests go to `request`, fed by a loopback listener as the transport layer would. */
async function serve(t: Test, request: HttpHandlers['request'], protocol: 'http1' | 'h2') {
  const probe = guardProbe();
  const servers = createHttpServers(
    { request, upgrade: () => {}, connect: () => {} },
    { headerTimeoutMs: 5_000, maxHeaders: 100, maxConcurrentStreams: 100, faults: probe.reporter, clock: { now: () => Date.now() } },
    createLogger('test', 'silent', 'json'),
  );
  const listener = net.createServer((socket) => {
    connectionGuard(socket, probe.reporter);
    servers[protocol === 'h2' ? 'http2' : 'http1'].emit('connection', socket);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    servers.drain();
    listener.close();
  });
  return { probe, port: (listener.address() as net.AddressInfo).port };
}

function get(port: number, path: string): Promise<{ status: number; error?: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, error: res.headers[PROXY_ERROR] as string | undefined, body }));
      })
      .on('error', reject);
  });
}

const faulty: HttpHandlers['request'] = (req, sink) => {
  if (req.path === '/throws') throw new TypeError('a bug');
  if (req.path === '/rejects') return Promise.reject(new Error('an async bug'));
  sink.head(200, { 'content-length': '2' });
  sink.data(Buffer.from('ok'));
  sink.end();
};

t.test('HTTP/1: 502 internal-error for the faulty request only', async (t) => {
  const { probe, port } = await serve(t, faulty, 'http1');
  for (const path of ['/throws', '/rejects']) {
    const reply = await get(port, path);
    t.equal(reply.status, 502, `${path}: 502`);
    t.equal(reply.error, 'internal-error', `${path}: weft-proxy-error: internal-error`);
  }
  t.equal((await get(port, '/fine')).status, 200, 'the next request is served');
  t.equal(await probe.counted(), 2, 'each fault counted once');
  t.match(probe.errors, [{ scope: 'request', err: { message: 'a bug' } }, { scope: 'request', err: { message: 'an async bug' } }]);
});

t.test('HTTP/2 and gRPC: 502 internal-error, and grpc-status INTERNAL in a Trailers-Only response', async (t) => {
  const { probe, port } = await serve(t, faulty, 'h2');
  const session = http2.connect(`http://127.0.0.1:${port}`);
  t.teardown(() => session.close());
  const ask = (headers: http2.OutgoingHttpHeaders) =>
    new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const req = session.request(headers, { endStream: true });
      req.on('response', resolve).on('error', reject).resume();
    });
  const plain = await ask({ ':path': '/throws' });
  t.equal(plain[':status'], 502);
  t.equal(plain[PROXY_ERROR], 'internal-error');
  const grpc = await ask({ ':method': 'POST', ':path': '/rejects', 'content-type': 'application/grpc', te: 'trailers' });
  t.equal(grpc[':status'], 200, 'gRPC: HTTP 200');
  t.equal(grpc['grpc-status'], '13', 'grpc-status INTERNAL');
  t.equal(grpc[PROXY_ERROR], 'internal-error');
  t.equal((await ask({ ':path': '/fine' }))[':status'], 200, 'the session goes on serving');
  t.equal(await probe.counted(), 2);
});
