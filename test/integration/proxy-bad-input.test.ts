// Bad input on weft-proxy's outbound port: malformed and oversized requests, a client too slow to send its
// headers, a client that vanishes mid-body, upstreams that reset or refuse, unknown authorities. Each is
// answered (or cut) on its own connection, and a normal request through the same proxy still succeeds after.
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import t, { type Test } from 'tap';
import { ADDRESS_FORM, formatHostPort } from '../../common/address';
import { ENV, METRIC, PROXY_ERROR } from '../../common/contract';
import { DURATION_FORM } from '../../common/duration';
import { EXIT_USAGE } from '../../common/errors';
import { nodeArgsFor } from '../../common/entrypoint';
import { untrackedNode } from '../fixtures/demo';
import { listenOnLoopback, startEchoServer } from '../fixtures/http-backends';
import { closedPort, connect, rawExchange, send, waitFor } from '../fixtures/http-client';
import { metricValue, ProxyProcess, serviceAt, startProxy } from '../fixtures/proxy-process';

const HEADER_TIMEOUT_MS = 2_000;
/** Node checks header deadlines on a timer: allow one check interval and scheduling noise past the deadline. */
const HEADER_TIMEOUT_SLACK_MS = 3_500;
const RESET_DELAY_MS = 300;

t.test('bad input is answered on its own connection; everyone else is still served', async (t) => {
  const healthy = await startEchoServer(t);
  const vanishing = new VanishingClientServer();
  const vanishAddr = await listenOnLoopback(t, vanishing.server);
  // Takes the request, then drops the connection without answering.
  const reset = await listenOnLoopback(t, http.createServer((req) => setTimeout(() => req.socket.destroy(), RESET_DELAY_MS)));
  const refusedAddr = { host: '127.0.0.1', port: await closedPort() };
  const proxy = await startProxy(t, {
    services: [
      serviceAt('healthy.test:80', healthy.addr),
      serviceAt('vanish.test:80', vanishAddr),
      serviceAt('reset.test:80', reset),
      serviceAt('refused.test:80', refusedAddr),
    ],
    env: { [ENV.httpHeaderTimeout]: `${HEADER_TIMEOUT_MS / 1000}s` },
  });

  let served = 0;
  const stillServes = async (t: Test) => {
    const path = `/still-served/${++served}`;
    const reply = await send(proxy.outbound, { authority: 'healthy.test', path });
    t.equal(reply.status, 200, 'a normal request through the same proxy still succeeds');
    t.equal(healthy.seen[healthy.seen.length - 1]?.url, path, 'and reaches its server');
  };

  t.test('malformed request line → 400', async (t) => {
    for (const requestLine of ['GET / HTTQ/1.1', 'GET /a b HTTP/1.1', 'GET / HTTP/1.1 trailing']) {
      const { text, closed } = await rawExchange(proxy.outbound, `${requestLine}\r\nHost: healthy.test\r\n\r\n`);
      t.match(text, /^HTTP\/1\.1 400 /, `${JSON.stringify(requestLine)} is answered 400`);
      t.ok(closed, 'and the connection is closed');
    }
    t.notOk(healthy.seen.some((r) => r.url === '/a'), 'nothing malformed reached the server');
    await stillServes(t);
  });

  t.test('request headers over 64 KiB → 431', async (t) => {
    const { text } = await rawExchange(proxy.outbound, `GET /big HTTP/1.1\r\nHost: healthy.test\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`);
    t.match(text, /^HTTP\/1\.1 431 /);
    t.notOk(healthy.seen.some((r) => r.url === '/big'), 'the oversized request did not reach the server');
    await stillServes(t);
  });

  t.test('a client sending headers one byte a second is cut off at the header timeout', async (t) => {
    const slow = await connect(proxy.outbound);
    const startedAt = Date.now();
    let answer = '';
    slow.setEncoding('latin1').on('data', (d: string) => (answer += d));
    slow.on('error', () => {});
    const closedAfterMs = new Promise<number>((resolve) => slow.once('close', () => resolve(Date.now() - startedAt)));
    slow.write('GET /slow HTTP/1.1\r\nHost: healthy.test\r\nX-Slow: ');
    const drip = setInterval(() => slow.write('a'), 1_000);
    t.teardown(() => {
      clearInterval(drip);
      slow.destroy();
    });

    await stillServes(t); // while the slow client holds its connection open
    t.equal(slow.closed, false, 'the slow client was still connected while the other was served');
    const bound = HEADER_TIMEOUT_MS + HEADER_TIMEOUT_SLACK_MS;
    const elapsed = await Promise.race([closedAfterMs, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), bound + 3_000))]);
    clearInterval(drip);
    t.ok(elapsed >= HEADER_TIMEOUT_MS - 200 && elapsed <= bound, `cut off after ${elapsed} ms (header timeout ${HEADER_TIMEOUT_MS} ms, bound ${bound} ms)`);
    t.ok(answer === '' || /^HTTP\/1\.1 408 /.test(answer), `answered 408 or nothing: ${JSON.stringify(answer.slice(0, 40))}`);
    t.notOk(healthy.seen.some((r) => r.url === '/slow'), 'the slow request never reached the server');
    await stillServes(t);
  });

  t.test('a client that vanishes mid-body: the upstream sees the request aborted; no connection is left open', async (t) => {
    // A finished request leaves a pooled keep-alive connection to the upstream: the steady state to return to.
    t.equal((await send(proxy.outbound, { authority: 'vanish.test', path: '/warm-up' })).status, 200, 'warm-up request answered');
    await waitFor('earlier client connections to close', async () => (await openConnections(proxy, 'src')) === 0);
    const before = await openConnections(proxy);
    const client = await connect(proxy.outbound);
    client.on('error', () => {});
    client.write(`POST /upload HTTP/1.1\r\nHost: vanish.test\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(50_000)}`);
    await waitFor('the upstream to receive half the body', () => vanishing.bytes >= 50_000);
    t.ok((await openConnections(proxy)) > before, 'the connections are counted while the request is under way');
    client.destroy();

    await waitFor('the upstream request to close', () => vanishing.events.includes('close'));
    t.notOk(vanishing.events.includes('end'), `the upstream never saw the body end: ${vanishing.events.join(', ')}`);
    t.ok(vanishing.events.includes('aborted'), 'it saw the request aborted');
    await waitFor('the open connection gauge to return to its value before', async () => (await openConnections(proxy)) === before).catch(async (err: Error) =>
      t.fail(`${err.message}: ${await openConnections(proxy)} open, ${before} before`),
    );
    const metrics = await proxy.metrics();
    t.equal(metricValue(metrics, METRIC.responseTotal, { authority: 'vanish.test:80', classification: 'failure' }), 0, 'the client leaving is not counted as a failure of the upstream');
    t.notMatch(proxy.logs(), /"request failed"[^\n]*vanish\.test/, 'nor logged as one');
    await stillServes(t);
  });

  t.test('an upstream that resets → 502 upstream-reset for that request only', async (t) => {
    const [resetReply, healthyReply] = await Promise.all([
      send(proxy.outbound, { authority: 'reset.test', path: '/reset' }),
      // Sent while the reset request waits for its answer.
      new Promise((resolve) => setTimeout(resolve, RESET_DELAY_MS / 3)).then(() => send(proxy.outbound, { authority: 'healthy.test', path: '/during-reset' })),
    ]);
    t.equal(resetReply.status, 502);
    t.equal(resetReply.headers[PROXY_ERROR], 'upstream-reset');
    t.match(resetReply.body.toString(), formatHostPort(reset), 'the body names the endpoint');
    t.equal(healthyReply.status, 200, 'the concurrent request to a healthy endpoint succeeds');
    await warnLogged(t, proxy, 'upstream-reset', formatHostPort(reset));
    await stillServes(t);
  });

  t.test('connection refused → 502 connect-failed', async (t) => {
    const reply = await send(proxy.outbound, { authority: 'refused.test', path: '/refused' });
    t.equal(reply.status, 502);
    t.equal(reply.headers[PROXY_ERROR], 'connect-failed');
    t.match(reply.body.toString(), formatHostPort(refusedAddr), 'the body names the endpoint');
    t.match(reply.body.toString(), 'ECONNREFUSED', 'and the cause');
    await warnLogged(t, proxy, 'connect-failed', formatHostPort(refusedAddr));
    await stillServes(t);
  });

  t.test('an unknown authority → 503 naming it', async (t) => {
    const reply = await send(proxy.outbound, { authority: 'nowhere.test:81', path: '/unknown' });
    t.equal(reply.status, 503);
    t.equal(reply.headers[PROXY_ERROR], 'unknown-authority');
    t.match(reply.body.toString(), 'nowhere.test:81', 'the body names the authority');
    await warnLogged(t, proxy, 'unknown-authority', 'nowhere.test:81');
    await stillServes(t);
  });

  t.test('a client that resets its connection: tcp_close_total counts a failure with errno ECONNRESET, as Linkerd names it', async (t) => {
    const labels = { direction: 'outbound', peer: 'src', classification: 'failure', errno: 'ECONNRESET' };
    const before = metricValue(await proxy.metrics(), METRIC.tcpCloseTotal, labels);
    const client = await connect(proxy.outbound);
    client.on('error', () => {});
    const answered = new Promise((resolve) => client.once('data', resolve));
    client.write('GET /before-reset HTTP/1.1\r\nHost: healthy.test\r\n\r\n');
    await answered; // the connection is past detection, held open by keep-alive
    client.resetAndDestroy();
    await waitFor('the reset connection to be counted', async () => metricValue(await proxy.metrics(), METRIC.tcpCloseTotal, labels) === before + 1);
    t.pass('counted once with errno="ECONNRESET"');
    t.notMatch(await proxy.metrics(), new RegExp(`^${METRIC.tcpCloseTotal}\\{[^}]*\\berror=`, 'm'), 'and no tcp_close_total sample has an error label');
    await stillServes(t);
  });
});

t.test('a bad environment value stops start-up with one line naming the variable and the accepted form', async (t) => {
  const cases = [
    { name: ENV.outboundConnectTimeout, value: '10', form: DURATION_FORM },
    { name: ENV.inboundListenAddr, value: 'nope', form: ADDRESS_FORM },
  ];
  for (const { name, value, form } of cases) {
    const { code, stderr } = await runProxyUntilExit({ [name]: value });
    t.equal(code, EXIT_USAGE, `${name}=${value}: exit ${EXIT_USAGE}`);
    const lines = stderr.trimEnd().split('\n');
    t.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(stderr)}`);
    t.match(lines[0], /^weft-proxy: error: /, 'in the form weft-proxy: error: …');
    t.match(lines[0], name, 'naming the variable');
    t.match(lines[0], form, 'and the accepted form');
  }
});

/** Runs weft-proxy with an otherwise good environment plus `env`; it must exit on its own within 20 s. */
function runProxyUntilExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(...untrackedNode(nodeArgsFor('proxy/main')), {
    env: {
      PATH: process.env.PATH ?? '',
      [ENV.outboundListenAddr]: '127.0.0.1:0',
      [ENV.inboundListenAddr]: '127.0.0.1:0',
      [ENV.adminListenAddr]: '127.0.0.1:0',
      [ENV.identityDisabled]: 'true',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    }),
  );
}

/** Answers /warm-up; never answers /upload, recording its body bytes and its request's events in order. */
class VanishingClientServer {
  bytes = 0;
  events: string[] = [];
  readonly server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    if (req.url !== '/upload') return void req.resume().once('end', () => res.end('warm'));
    req.on('data', (c: Buffer) => (this.bytes += c.length));
    for (const event of ['aborted', 'end', 'close'] as const) req.once(event, () => this.events.push(event));
  });
}

async function openConnections(proxy: ProxyProcess, peer?: 'src' | 'dst'): Promise<number> {
  return metricValue(await proxy.metrics(), METRIC.tcpOpenConnections, peer ? { direction: 'outbound', peer } : { direction: 'outbound' });
}

/** The proxy wrote a warn line (pino level 40) for the failure, naming the reason and `naming`. */
async function warnLogged(t: Test, proxy: ProxyProcess, reason: string, naming: string): Promise<void> {
  const found = () =>
    proxy
      .logs()
      .split('\n')
      .some((line) => line.includes(`"reason":"${reason}"`) && line.includes(naming) && line.includes('"level":40'));
  await waitFor(`a warn log line for ${reason}`, found).then(
    () => t.pass(`a warn line names ${reason} and ${naming}`),
    () => t.fail(`no warn line names ${reason} and ${naming}`),
  );
}
