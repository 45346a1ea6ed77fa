// `weft-controller tap` and `weft tap` with real processes: two meshed proxies (web → books over mTLS), the tap
// role in local mode (the pods: list of its cluster file names each workload's tap address), its certificate
// from Certify like any proxy's; the CLI by address. Events reach the CLI merged from the pods' proxies, with
// the filters applied, as JSON lines and as a table; what cannot be tapped is said.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { formatHostPort, HostPort } from '../../common/address';
import { CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICES, identityName } from '../../common/contract';
import type { TapRecord } from '../../common/tap-api';
import { startController } from '../fixtures/controller-process';
import { startEchoServer } from '../fixtures/http-backends';
import { closedPort, send, waitFor } from '../fixtures/http-client';
import { startTestIdentityService } from '../fixtures/identity';
import { serviceAt, startProxy } from '../fixtures/proxy-process';
import { BinProcess, runBin, startBin } from '../fixtures/run-bin';

const BOOKS = 'books.test.svc.cluster.local:8080';
const WEB_ID = identityName('web', 'test');
const BOOKS_ID = identityName('books', 'test');
const DEADLINE_MS = 30_000;

const jsonLines = (text: string): TapRecord[] =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as TapRecord);

t.test('tap through the tap service', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-tap-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const identity = await startTestIdentityService(t);
  const app = await startEchoServer(t);
  const books = await startProxy(t, { identity: identity.proxyEnv('books'), app: app.addr });
  const web = await startProxy(t, {
    identity: identity.proxyEnv('web'),
    services: [serviceAt(BOOKS, books.inbound, { protocol: 'h2', identity: BOOKS_ID, labels: { namespace: 'test', service: 'books', pod: 'books-0' } })],
  });
  const pod = (name: string, workload: string, tap: HostPort, id: string) => ({ name, namespace: 'test', workload, tap: formatHostPort(tap), identity: id });
  const clusterFile = path.join(dir, 'cluster.yaml');
  fs.writeFileSync(
    clusterFile,
    stringify({
      services: [],
      pods: [
        pod('web-0', 'deployment/web', web.tap!, WEB_ID),
        pod('books-0', 'deployment/books', books.tap!, BOOKS_ID),
        // A pod whose proxy is gone: its tap fails, the others go on.
        pod('gone-0', 'deployment/gone', { host: '127.0.0.1', port: await closedPort() }, identityName('gone', 'test')),
      ],
    }),
  );
  const tokenFile = path.join(dir, 'tap.token');
  fs.writeFileSync(tokenFile, identity.tokens.mint({ serviceAccount: CONTROL_PLANE_SERVICES.tap.serviceAccount, namespace: CONTROL_PLANE_NAMESPACE }));
  const anchorsFile = path.join(dir, 'ca.crt');
  fs.writeFileSync(anchorsFile, identity.anchor.certPem);
  const controller = await startController(t, ['--cluster-file', clusterFile, '--trust-anchors', anchorsFile, '--identity-svc-addr', identity.address, '--tap-token-file', tokenFile], 'tap');
  const tapAddr = formatHostPort(controller.tap!);

  /** Starts `weft tap`, sends requests through web until `enough` holds of what it printed, then stops it. */
  async function tapWhile(args: string[], requests: { method?: string; path: string }[], enough: (tap: BinProcess) => boolean): Promise<{ stdout: string; stderr: string; code: number | null }> {
    const tap = startBin('weft', ['tap', ...args, '--tap-addr', tapAddr], { timeoutMs: DEADLINE_MS + 10_000 });
    t.teardown(() => tap.kill('SIGKILL'));
    let i = 0;
    await waitFor(
      'the tap output',
      async () => {
        if (tap.exited()) throw new Error(`weft tap exited early: ${tap.stderr()}`);
        const { method = 'GET', path } = requests[i++ % requests.length];
        await send(web.outbound, { authority: BOOKS, method, path, body: method === 'POST' ? 'x' : undefined });
        return enough(tap);
      },
      DEADLINE_MS,
      100,
    );
    tap.kill('SIGINT');
    return tap.done;
  }

  t.test('weft tap -o json: one object per line, with the pod that saw it and every field', async (t) => {
    const run = await tapWhile(['deploy/web', '-n', 'test', '-o', 'json'], [{ path: '/books/7' }], (tap) => jsonLines(tap.stdout()).length >= 3);
    t.equal(run.code, 0, `interrupted cleanly: ${run.stderr}`);
    const events = jsonLines(run.stdout);
    t.ok(events.length >= 3);
    t.match(events[0], {
      namespace: 'test',
      pod: 'web-0',
      direction: 'outbound',
      method: 'GET',
      authority: BOOKS,
      path: '/books/7',
      status: 200,
      tls: true,
      serverId: BOOKS_ID,
      dstLabels: { namespace: 'test', service: 'books', pod: 'books-0' },
      proxyError: '',
    });
    t.ok(events.every((e) => e.pod === 'web-0'), 'deploy/web taps web-0 only');
    t.ok(events[0].responseBytes > 0 && events[0].latencyMs > 0 && typeof events[0].timeMs === 'number');
  });

  t.test('filters: --to, --method, --path on web; --from on books', async (t) => {
    const mix = [{ path: '/a' }, { method: 'POST', path: '/orders/1' }, { method: 'POST', path: '/carts/1' }];
    const out = await tapWhile(['deploy/web', '-n', 'test', '-o', 'json', '--to', 'deploy/books', '--method', 'POST', '--path', '/orders'], mix, (tap) => jsonLines(tap.stdout()).length >= 2);
    const events = jsonLines(out.stdout);
    t.ok(events.length >= 2);
    t.ok(events.every((e) => e.method === 'POST' && e.path.startsWith('/orders') && e.direction === 'outbound' && e.dstLabels.pod === 'books-0'), 'only POSTs under /orders to books');
    const into = await tapWhile(['deploy/books', '-n', 'test', '-o', 'json', '--from', 'deploy/web'], mix, (tap) => jsonLines(tap.stdout()).length >= 3);
    const inbound = jsonLines(into.stdout);
    t.ok(inbound.every((e) => e.pod === 'books-0' && e.direction === 'inbound' && e.clientId === WEB_ID), 'books sees web as an mTLS caller');
  });

  t.test('weft tap -o table: a header, then a row per request', async (t) => {
    const run = await tapWhile(['deployment/web', '--namespace', 'test'], [{ path: '/table' }], (tap) => tap.stdout().split('\n').filter(Boolean).length >= 3);
    const [header, ...rows] = run.stdout.trim().split('\n');
    t.match(header, /^TIME +POD +DIRECTION +METHOD +AUTHORITY +PATH +STATUS +GRPC +LATENCY +BYTES +TLS +PEER +ERROR$/);
    t.match(rows[0], new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ +web-0 +outbound +GET +${BOOKS.replace(/\./g, '\\.')} +/table +200 +- +\\d+\\.\\dms +\\d+ +yes +${BOOKS_ID.replace(/\./g, '\\.')} +-$`));
  });

  t.test('a pod whose proxy cannot be reached is named; the rest of the tap goes on', async (t) => {
    const res = await fetch(`http://${tapAddr}/tap`, { method: 'POST', body: JSON.stringify({ resource: 'ns/test', maxRps: 50 }) });
    t.equal(res.status, 200);
    t.equal(res.headers.get('content-type'), 'application/x-ndjson');
    const reader = res.body!.getReader();
    let text = '';
    const deadline = Date.now() + DEADLINE_MS;
    while (!(text.includes('"pod":"gone-0"') && text.includes('"event"')) && Date.now() < deadline) {
      await send(web.outbound, { authority: BOOKS, path: '/ns' });
      const { value, done } = await Promise.race([reader.read(), new Promise<{ value: undefined; done: false }>((r) => setTimeout(() => r({ value: undefined, done: false }), 200))]);
      if (done) break;
      if (value) text += Buffer.from(value).toString('utf8');
    }
    await reader.cancel();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { event?: TapRecord; error?: { pod: string; message: string } });
    const gone = lines.find((l) => l.error?.pod === 'gone-0');
    t.match(gone?.error?.message, /^UNAVAILABLE/, 'the unreachable pod is reported');
    t.ok(lines.some((l) => l.event && ['web-0', 'books-0'].includes(l.event.pod)), 'events from the others still come');
  });

  t.test('bad input: what does not exist, and a malformed query', async (t) => {
    const missing = await runBin('weft', ['tap', 'deploy/nope', '-n', 'test', '--tap-addr', tapAddr]);
    t.equal(missing.code, 1);
    t.equal(missing.stderr, 'weft: error: tap refused (HTTP 404): no pods of deployment/nope in namespace test; deployments with pods in namespace test: books, gone, web\n');
    const badType = await runBin('weft', ['tap', 'widget/web', '--tap-addr', tapAddr]);
    t.equal(badType.code, 2, 'a usage error');
    t.match(badType.stderr, /^weft: error: resource: unknown resource type "widget" in "widget\/web": expected <type>\/<name> with type one of namespace, pod, deployment/);
    const unreachable = await runBin('weft', ['tap', 'deploy/web', '-n', 'test', '--tap-addr', `127.0.0.1:${await closedPort()}`]);
    t.equal(unreachable.code, 1);
    t.match(unreachable.stderr, /^weft: error: cannot reach the tap service at http:\/\/127\.0\.0\.1:\d+\/tap: ECONNREFUSED/);
    const notJson = await fetch(`http://${tapAddr}/tap`, { method: 'POST', body: '{' });
    t.equal(notJson.status, 400);
    t.match(await notJson.text(), /^the query is not JSON/);
    const get = await fetch(`http://${tapAddr}/tap`);
    t.equal(get.status, 405);
  });
});
