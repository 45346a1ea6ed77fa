// Transparent interception for real: two "pods" (network namespaces on a bridge); weft-proxy-init writes its
// iptables rules in `meshed`; `peer` has no rules and plays the other pods. First stand-in listeners (as the
// proxy's UID) report what originalDestination() says for each connection; then the real weft-proxy carries
// HTTP both ways.
import * as path from 'node:path';
import t from 'tap';
import { HostPort, parseHostPort } from '../../common/address';
import { ENV, INBOUND_METRIC, METRIC, PROXY_ADMIN_ADDR, PROXY_INBOUND_ADDR, PROXY_OUTBOUND_ADDR, PROXY_UID } from '../../common/contract';
import { REPO_ROOT } from '../../common/entrypoint';
import { commandMissingReason, createPods, netnsUnavailableReason, Pod, waitForLine } from '../fixtures/netns';

const NODE = process.execPath;
const TSX = require.resolve('tsx/cjs');
const INIT_BIN = path.join(REPO_ROOT, 'bin/weft-proxy-init.js');
const PROXY_BIN = path.join(REPO_ROOT, 'bin/weft-proxy.js');
const ORIGINAL_DST_MODULE = path.join(REPO_ROOT, 'proxy/transport/original-dst.ts');

const APP_PORT = 8080;
const OUTBOUND_IGNORED_PORT = 9090;
const INBOUND_IGNORED_PORT = 9091;
const INBOUND_PORT = parseHostPort(PROXY_INBOUND_ADDR)!.port;
const ADMIN_PORT = parseHostPort(PROXY_ADMIN_ADDR)!.port;

// Listens on each `who@host:port` and answers every connection with one JSON line: who accepted it and the
// original destination the kernel reports, then closes.
const REPORTER = `
const net = require('node:net');
const [modulePath, ...listeners] = process.argv.slice(1);
const { originalDestination } = require(modulePath);
let pending = listeners.length;
for (const spec of listeners) {
  const [, who, host, port] = /^(.+)@(.+):(\\d+)$/.exec(spec);
  net.createServer((socket) => {
    let originalDst;
    try { originalDst = originalDestination(socket) ?? null; } catch (err) { originalDst = { error: err.message }; }
    socket.end(JSON.stringify({ who, originalDst }) + '\\n');
  }).listen(Number(port), host, () => { if (--pending === 0) console.log('ready'); });
}`;

// Connects to host:port and prints what the server said; gives up after 5 s.
const DIALER = `
const [host, port] = process.argv.slice(1);
setTimeout(() => { console.error('no answer within 5 s'); process.exit(1); }, 5000).unref();
let answer = '';
require('node:net').connect(Number(port), host)
  .setEncoding('utf8')
  .on('data', (chunk) => (answer += chunk))
  .on('end', () => process.stdout.write(answer))
  .on('error', (err) => { console.error(err.code); process.exitCode = 1; });`;

// An HTTP server on 0.0.0.0:port that answers who it is, what was asked and from which address.
const HTTP_SERVER = `
const [who, port] = process.argv.slice(1);
require('node:http')
  .createServer((req, res) => res.end(JSON.stringify({ who, url: req.url, from: req.socket.remoteAddress })))
  .listen(Number(port), '0.0.0.0', () => console.log('ready'));`;

// GETs a URL and prints {status, body}; gives up after 5 s.
const HTTP_GET = `
setTimeout(() => { console.error('no answer within 5 s'); process.exit(1); }, 5000).unref();
require('node:http').get(process.argv[1], { agent: false }, (res) => {
  let body = '';
  res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
  res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, body })));
}).on('error', (err) => { console.error(err.code); process.exitCode = 1; });`;

let unavailable: Promise<string | undefined> | undefined;
function unavailableReason(): Promise<string | undefined> {
  unavailable ??= (async () =>
    (await netnsUnavailableReason()) ?? (await commandMissingReason('iptables')) ?? (await commandMissingReason('setpriv')))();
  return unavailable;
}

/** Two pods on a bridge, weft-proxy-init's rules written in `meshed`. */
async function meshedAndPeer(t: tap.Test): Promise<{ meshed: Pod; peer: Pod }> {
  const [meshed, peer] = await createPods(t, 2);
  const init = await meshed.run(NODE, [INIT_BIN, '--inbound-ports-to-ignore', `${INBOUND_IGNORED_PORT}`, '--outbound-ports-to-ignore', `${OUTBOUND_IGNORED_PORT}`]);
  t.equal(init.code, 0, `weft-proxy-init succeeded: ${init.stderr.trim()}`);
  return { meshed, peer };
}

async function output(t: tap.Test, from: Pod, script: string, args: string[], uid?: number): Promise<unknown> {
  const result = await from.run(NODE, ['-e', script, ...args], { uid, timeoutMs: 10_000 });
  t.same({ code: result.code, stderr: result.stderr }, { code: 0, stderr: '' }, `${from.name}: ${args.join(' ')} answered`);
  return JSON.parse(result.stdout || '{}');
}

const dial = (t: tap.Test, from: Pod, host: string, port: number, uid?: number) =>
  output(t, from, DIALER, [host, String(port)], uid) as Promise<{ who: string; originalDst: HostPort | null }>;
const httpGet = (t: tap.Test, from: Pod, url: string) => output(t, from, HTTP_GET, [url]) as Promise<{ status: number; body: string }>;

function startReporter(pod: Pod, listeners: string[], uid?: number): Promise<string> {
  return waitForLine(pod.spawn(NODE, ['--require', TSX, '-e', REPORTER, ORIGINAL_DST_MODULE, ...listeners], { uid }), /^ready$/);
}

t.test('re-running weft-proxy-init leaves exactly the same rules', async (t) => {
  const skip = await unavailableReason();
  if (skip) return t.plan(0, skip);
  const { meshed } = await meshedAndPeer(t);
  const natRules = async () => (await meshed.run('iptables', ['-t', 'nat', '-S'])).stdout;
  const rulesAfterFirstRun = await natRules();
  t.match(rulesAfterFirstRun, new RegExp(`-A PROXY_INIT_OUTPUT -m owner --uid-owner ${PROXY_UID} .*-j RETURN`));
  const again = await meshed.run(NODE, [INIT_BIN, '--inbound-ports-to-ignore', `${INBOUND_IGNORED_PORT}`, '--outbound-ports-to-ignore', `${OUTBOUND_IGNORED_PORT}`]);
  t.equal(again.code, 0, `a second run succeeded: ${again.stderr.trim()}`);
  t.equal(await natRules(), rulesAfterFirstRun);
});

t.test('interception and original destinations, seen by stand-in listeners', async (t) => {
  const skip = await unavailableReason();
  if (skip) return t.plan(0, skip);
  const { meshed, peer } = await meshedAndPeer(t);
  await Promise.all([
    // Stand-ins for the proxy, as the proxy's user like the real one; the outbound one on loopback like it.
    startReporter(meshed, [`outbound@${PROXY_OUTBOUND_ADDR}`, `inbound@0.0.0.0:${INBOUND_PORT}`, `admin@0.0.0.0:${ADMIN_PORT}`], PROXY_UID),
    startReporter(meshed, [`app@0.0.0.0:${APP_PORT}`, `app@0.0.0.0:${INBOUND_IGNORED_PORT}`]),
    startReporter(peer, [`peer@0.0.0.0:${APP_PORT}`, `peer@0.0.0.0:${OUTBOUND_IGNORED_PORT}`]),
  ]);

  t.test('the app calling another pod lands on the outbound port, which sees the original destination', async (t) => {
    t.same(await dial(t, meshed, peer.ip, APP_PORT), { who: 'outbound', originalDst: { host: peer.ip, port: APP_PORT } });
  });

  t.test("the proxy's own connections (its UID) reach the real server", async (t) => {
    const answer = await dial(t, meshed, peer.ip, APP_PORT, PROXY_UID);
    t.same(answer, { who: 'peer', originalDst: null }, 'not intercepted; without NAT there is no original destination');
  });

  t.test('an ignored outbound port passes straight through', async (t) => {
    t.match(await dial(t, meshed, peer.ip, OUTBOUND_IGNORED_PORT), { who: 'peer' });
  });

  t.test('loopback traffic inside the pod is not intercepted', async (t) => {
    t.match(await dial(t, meshed, '127.0.0.1', APP_PORT), { who: 'app' });
  });

  t.test('another pod calling the app lands on the inbound port, which sees the original destination', async (t) => {
    t.same(await dial(t, peer, meshed.ip, APP_PORT), { who: 'inbound', originalDst: { host: meshed.ip, port: APP_PORT } });
  });

  t.test("an ignored inbound port and the proxy's admin port pass straight through", async (t) => {
    t.match(await dial(t, peer, meshed.ip, INBOUND_IGNORED_PORT), { who: 'app' });
    t.match(await dial(t, peer, meshed.ip, ADMIN_PORT), { who: 'admin' });
  });
});

t.test('the real weft-proxy, as UID 2102, carries HTTP between pods transparently', async (t) => {
  const skip = await unavailableReason();
  if (skip) return t.plan(0, skip);
  const { meshed, peer } = await meshedAndPeer(t);
  const proxy = meshed.spawn(NODE, [PROXY_BIN], { uid: PROXY_UID, env: { [ENV.identityDisabled]: 'true', [ENV.log]: 'info' } });
  await Promise.all([
    waitForLine(proxy, /proxy ready/, { stream: 'stderr', timeoutMs: 20_000 }),
    waitForLine(meshed.spawn(NODE, ['-e', HTTP_SERVER, 'app', `${APP_PORT}`]), /^ready$/),
    waitForLine(peer.spawn(NODE, ['-e', HTTP_SERVER, 'peer', `${APP_PORT}`]), /^ready$/),
  ]);
  const requestsCounted = async (t: tap.Test, direction: string) => {
    const metrics = await httpGet(t, meshed, `http://127.0.0.1:${ADMIN_PORT}/metrics`);
    return new RegExp(`^${METRIC.requestTotal}\\{[^}]*direction="${direction}"[^}]*\\} 1$`, 'm').test(metrics.body);
  };

  t.test('outbound: the app reaches the other pod through the proxy', async (t) => {
    const { status, body } = await httpGet(t, meshed, `http://${peer.ip}:${APP_PORT}/hello`);
    t.equal(status, 200);
    t.same(JSON.parse(body), { who: 'peer', url: '/hello', from: meshed.ip });
    t.ok(await requestsCounted(t, 'outbound'), 'the proxy counted one outbound request');
  });

  t.test('inbound: another pod reaches the app through the proxy', async (t) => {
    const { status, body } = await httpGet(t, peer, `http://${meshed.ip}:${APP_PORT}/inbound`);
    t.equal(status, 200);
    t.match(JSON.parse(body), { who: 'app', url: '/inbound' });
    t.ok(await requestsCounted(t, 'inbound'), 'the proxy counted one inbound request');
  });

  t.test("inbound: a pod dialling the proxy's inbound port itself gets 403, not a loop", async (t) => {
    // Redirected like any inbound port, so the original destination is the inbound port: inbound would
    // connect to itself, again and again, without the check of allowed-port.ts.
    const { status, body } = await httpGet(t, peer, `http://${meshed.ip}:${INBOUND_PORT}/loop`);
    t.equal(status, 403, body);
    t.match(body, new RegExp(`port ${INBOUND_PORT} is this proxy's own inbound port`));
    const metrics = await httpGet(t, meshed, `http://127.0.0.1:${ADMIN_PORT}/metrics`);
    t.match(metrics.body, new RegExp(`^${INBOUND_METRIC.portRefusedTotal}\\{reason="proxy_port"\\} 1$`, 'm'), 'counted as a refusal');
  });
});
