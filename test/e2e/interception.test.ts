// Transparent interception for real: "pods" (network namespaces on a bridge); weft-proxy-init writes its
// iptables rules in `meshed`; `peer` has no rules and plays the other pods, `ignored` one in an ignored subnet.
// Re-runs must leave exactly one set of rules, with iptables-nft and with iptables-legacy. Stand-in listeners
// (as the proxy's UID) report what originalDestination() says for each connection; then the real weft-proxy
// carries HTTP both ways.
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

// Debian's iptables package ships both backends; each is tested where its binary exists.
const BACKENDS = ['nft', 'legacy'] as const;
type Backend = (typeof BACKENDS)[number];
const iptablesOf = (backend: Backend) => `iptables-${backend}`;
async function backendUnavailableReason(backend: Backend): Promise<string | undefined> {
  return (await unavailableReason()) ?? (await commandMissingReason(iptablesOf(backend)));
}

const IGNORE_PORTS = ['--inbound-ports-to-ignore', `${INBOUND_IGNORED_PORT}`, '--outbound-ports-to-ignore', `${OUTBOUND_IGNORED_PORT}`];

async function runInit(t: tap.Test, pod: Pod, args: string[], what = 'weft-proxy-init'): Promise<string> {
  const result = await pod.run(NODE, [INIT_BIN, ...args]);
  t.equal(result.code, 0, `${what} succeeded: ${result.stderr.trim()}`);
  return result.stdout;
}

/** The pod's whole nat table as one backend lists it. */
async function natRules(pod: Pod, backend: Backend): Promise<string> {
  const listing = await pod.run(iptablesOf(backend), ['-t', 'nat', '-S']);
  if (listing.code !== 0) throw new Error(`${iptablesOf(backend)} -S failed: ${listing.stderr}`);
  return listing.stdout;
}

/** Pods on a bridge, weft-proxy-init's rules written in the first (`meshed`), ignoring the last one's subnet. */
async function meshedPods(t: tap.Test, count: number, mode: Backend | 'auto'): Promise<Pod[]> {
  const pods = await createPods(t, count);
  const subnet = count > 2 ? ['--subnets-to-ignore', `${pods[count - 1].ip}/32`] : [];
  await runInit(t, pods[0], ['--iptables-mode', mode, ...IGNORE_PORTS, ...subnet]);
  return pods;
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

for (const backend of BACKENDS) {
  t.test(`${iptablesOf(backend)}: re-running weft-proxy-init leaves exactly one set of rules`, async (t) => {
    const skip = await backendUnavailableReason(backend);
    if (skip) return t.plan(0, skip);
    const [meshed, fresh] = await meshedPods(t, 2, backend);
    const afterFirstRun = await natRules(meshed, backend);
    t.match(afterFirstRun, new RegExp(`-A PROXY_INIT_OUTPUT -m owner --uid-owner ${PROXY_UID} .*-j RETURN`));

    t.test('the same options again: the same rules', async (t) => {
      await runInit(t, meshed, ['--iptables-mode', backend, ...IGNORE_PORTS], 'a second run');
      t.equal(await natRules(meshed, backend), afterFirstRun);
    });

    t.test('other options: the rules a fresh pod gets with them, nothing of the earlier run left', async (t) => {
      const other = ['--iptables-mode', backend, '--outbound-ports-to-ignore', '25', '--subnets-to-ignore', '10.96.0.0/12'];
      await runInit(t, meshed, other, 'a run with other options');
      await runInit(t, fresh, other, 'a run on a fresh pod');
      t.equal(await natRules(meshed, backend), await natRules(fresh, backend));
    });

    t.test('after a run killed half-way (a chain, a stray rule, the jump twice): one clean set', async (t) => {
      const iptables = (...args: string[]) => fresh.run(iptablesOf(backend), ['-t', 'nat', ...args]);
      const expected = await natRules(fresh, backend);
      for (const args of [['-F', 'PROXY_INIT_REDIRECT'], ['-A', 'PROXY_INIT_REDIRECT', '-p', 'tcp', '-j', 'RETURN'], ['-A', 'OUTPUT', '-j', 'PROXY_INIT_OUTPUT']]) {
        t.equal((await iptables(...args)).code, 0, `iptables ${args.join(' ')}`);
      }
      t.not(await natRules(fresh, backend), expected, 'the table is damaged');
      await runInit(t, fresh, ['--iptables-mode', backend, '--outbound-ports-to-ignore', '25', '--subnets-to-ignore', '10.96.0.0/12'], 'the restarted run');
      t.equal(await natRules(fresh, backend), expected);
    });
  });

  t.test(`${iptablesOf(backend)}: interception and original destinations, seen by stand-in listeners`, async (t) => {
    const skip = await backendUnavailableReason(backend);
    if (skip) return t.plan(0, skip);
    const [meshed, peer, ignored] = await meshedPods(t, 3, backend);
    await Promise.all([
      // Stand-ins for the proxy, as the proxy's user like the real one; the outbound one on loopback like it.
      startReporter(meshed, [`outbound@${PROXY_OUTBOUND_ADDR}`, `inbound@0.0.0.0:${INBOUND_PORT}`, `admin@0.0.0.0:${ADMIN_PORT}`], PROXY_UID),
      startReporter(meshed, [`app@0.0.0.0:${APP_PORT}`, `app@0.0.0.0:${INBOUND_IGNORED_PORT}`]),
      startReporter(peer, [`peer@0.0.0.0:${APP_PORT}`, `peer@0.0.0.0:${OUTBOUND_IGNORED_PORT}`]),
      startReporter(ignored, [`ignored@0.0.0.0:${APP_PORT}`]),
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

    t.test('an ignored subnet bypasses the proxy both ways', async (t) => {
      t.same(await dial(t, meshed, ignored.ip, APP_PORT), { who: 'ignored', originalDst: null }, 'outbound to it: the real server');
      // The app's own listener, not the inbound stand-in (conntrack reports an un-NATed tuple as it is).
      t.match(await dial(t, ignored, meshed.ip, APP_PORT), { who: 'app', originalDst: { host: meshed.ip, port: APP_PORT } }, 'inbound from it: the app itself');
    });
  });
}

t.test('auto mode: a fresh pod gets nft; a pod with rules from an earlier legacy run stays on legacy', async (t) => {
  const skip = (await backendUnavailableReason('nft')) ?? (await backendUnavailableReason('legacy'));
  if (skip) return t.plan(0, skip);
  const [fresh, legacyBefore] = await createPods(t, 2);
  t.match(await runInit(t, fresh, IGNORE_PORTS), /^weft-proxy-init: using iptables-nft \(no backend holds rules yet/);
  t.notMatch(await natRules(fresh, 'legacy'), /PROXY_INIT/, 'nothing written through legacy');

  await runInit(t, legacyBefore, ['--iptables-mode', 'legacy', ...IGNORE_PORTS], 'a legacy run');
  const legacyRules = await natRules(legacyBefore, 'legacy');
  t.match(await runInit(t, legacyBefore, IGNORE_PORTS, 'the auto run after it'), /^weft-proxy-init: using iptables-legacy \(it holds the rules of an earlier run\), rewriting/);
  t.equal(await natRules(legacyBefore, 'legacy'), legacyRules, 'the legacy rules are as they were');
  t.notMatch(await natRules(legacyBefore, 'nft'), /PROXY_INIT/, 'no second set through nft');
});

t.test('the real weft-proxy, as UID 2102, carries HTTP between pods transparently', async (t) => {
  const skip = await unavailableReason();
  if (skip) return t.plan(0, skip);
  const [meshed, peer] = await meshedPods(t, 2, 'auto');
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
