// `weft-proxy await`, the classic sidecar's postStart hook, against a real proxy: it returns 0 once /ready is 200
// (after waiting through a proxy not yet listening, and through a proxy without its certificate yet), and 1 with
// the last answer it saw when the proxy is not ready in time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { createTrustAnchor } from '../../certs';
import { formatHostPort } from '../../common/address';
import { ENV, identityName } from '../../common/contract';
import { closedPort, waitFor } from '../fixtures/http-client';
import { identityEnv, startTestIdentityService } from '../fixtures/identity';
import { startProxy } from '../fixtures/proxy-process';
import { BinProcess, runBin, startBin } from '../fixtures/run-bin';

const startAwait = (args: string[]): BinProcess => startBin('weft-proxy', ['await', ...args], { timeoutMs: 120_000 });

t.test('waits for a proxy that is not listening yet, exits 0 once it is ready', async (t) => {
  const port = await closedPort();
  const waiting = startAwait(['--admin-addr', `127.0.0.1:${port}`, '--timeout', '90s']);
  const proxy = await startProxy(t, { env: { WEFT_PROXY_ADMIN_LISTEN_ADDR: `127.0.0.1:${port}` } });
  t.equal(proxy.admin.port, port);
  const run = await waiting.done;
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, new RegExp(`the proxy at 127\\.0\\.0\\.1:${port} is ready`));
});

t.test('waits through 503 until the proxy holds its certificate', async (t) => {
  const anchor = createTrustAnchor();
  const identityPort = await closedPort();
  const tokenFile = path.join(t.testdir(), 'token');
  fs.writeFileSync(tokenFile, 'not yet');
  const env = identityEnv(`127.0.0.1:${identityPort}`, tokenFile, identityName('web', 'test'), anchor.certPem);
  const proxy = await startProxy(t, { identity: env, awaitReady: false });
  const admin = formatHostPort(proxy.admin);
  t.equal((await fetch(`http://${admin}/ready`)).status, 503, 'not ready without a certificate');

  const waiting = startAwait(['--admin-addr', admin, '--timeout', '90s']);
  await waitFor('weft-proxy await to start asking', () => waiting.exited() || waiting.stdout().includes('waiting up to 90s'), 30_000);
  t.notOk(waiting.exited(), 'still waiting: nothing can give the proxy a certificate yet');

  const identity = await startTestIdentityService(t, { port: identityPort, anchor });
  fs.copyFileSync(identity.proxyEnv('web')[ENV.identityTokenFile], tokenFile); // as the kubelet rotates a token
  const run = await waiting.done;
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /is ready \(after /);
  t.equal((await fetch(`http://${admin}/ready`)).status, 200);
});

t.test('a proxy that stays not ready: exit 1 after --timeout, with its last answer', async (t) => {
  const anchor = createTrustAnchor();
  const env = identityEnv(`127.0.0.1:${await closedPort()}`, path.join(t.testdir(), 'missing-token'), identityName('web', 'test'), anchor.certPem);
  const proxy = await startProxy(t, { identity: env, awaitReady: false });
  const admin = formatHostPort(proxy.admin);
  const started = Date.now();
  const run = await startAwait(['--admin-addr', admin, '--timeout', '2s']).done;
  t.equal(run.code, 1);
  t.match(run.stderr, new RegExp(`^weft-proxy: error: the proxy at ${admin.replace(/\./g, '\\.')} was not ready within 2s \\(last GET /ready: 503 not ready: [^\\n]+\\); see the proxy's log for why\\n$`));
  t.ok(Date.now() - started >= 2000, 'it waited the whole timeout');
});

t.test('nothing listening: exit 1 naming the connection error', async (t) => {
  const run = await startAwait(['--admin-addr', `127.0.0.1:${await closedPort()}`, '--timeout', '1s']).done;
  t.equal(run.code, 1);
  t.match(run.stderr, /not ready within 1s \(last GET \/ready: ECONNREFUSED\)/);
});

t.test('--help and usage errors', async (t) => {
  const help = await runBin('weft-proxy', ['await', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: weft-proxy await \[options\]/);
  const bad = await runBin('weft-proxy', ['await', '--timeout', '5']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^weft-proxy: error: --timeout "5" is not valid: expected a number with a unit/);
  const top = await runBin('weft-proxy', ['--help']);
  t.match(top.stdout, /weft-proxy await\s+wait until the proxy is ready/);
});
