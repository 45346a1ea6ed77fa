// weft stat, edges, top, tap, identity and diagnostics against a running `weft demo` with its Prometheus (when
// installed): the numbers equal Prometheus' own answer, the in-cluster route through the Kubernetes API's
// service proxy gives the same, `weft top` redraws and quits on q in a real terminal (tmux), and bad input
// gets one line naming what exists.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { METRIC, WORKLOAD_RECORDINGS } from '../../common/contract';
import { prometheusRuleGroups } from '../../cli/install/prometheus-rules';
import type { TapRecord } from '../../common/tap-api';
import type { ViewsContext } from '../../common/views/context';
import { identityOf } from '../../cli/demo/topology';
import { delay, startDemo } from '../fixtures/demo';
import { startKubeApiServer } from '../fixtures/kube-api-server';
import { prometheusMissingReason } from '../fixtures/prometheus';
import { runBin, startBin } from '../fixtures/run-bin';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cli-views-'));
// The demo writes its context here and every `weft` below reads it: nothing touches the user's own.
process.env.WEFT_CONTEXT = path.join(dir, 'context.json');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const weft = (...args: string[]) => runBin('weft', args, { timeoutMs: 60_000 });

/** `weft stat … -o json`'s document. */
interface StatJson {
  source: string;
  since: string;
  until: string;
  from?: string;
  to?: string;
  rows: { namespace: string; name: string; meshed?: { ready: number; total: number }; successRate?: number; rps?: number; responses: number }[];
}

function tmuxMissingReason(): string | undefined {
  return fs.existsSync('/usr/bin/tmux') ? undefined : '/usr/bin/tmux is not installed (Debian package `tmux`)';
}

function tmux(socket: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('tmux', ['-L', socket, ...args], { timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`tmux ${args[0]}: ${stderr || err.message}`)) : resolve(stdout))),
  );
}

t.test('the CLI views over weft demo and its Prometheus', { skip: prometheusMissingReason() ?? false }, async (t) => {
  const demo = await startDemo(t, ['--duration', '600s', '--rps', '20']);
  const context = JSON.parse(fs.readFileSync(process.env.WEFT_CONTEXT!, 'utf8')) as ViewsContext;
  t.ok(context.prometheusUrl, `the demo's context names its Prometheus: ${context.prometheusUrl}`);

  // Until Prometheus holds requests through web in the range the comparison below uses (from 15 s to 5 s ago):
  // its first scrapes land a few seconds in.
  let web: StatJson['rows'][number] | undefined;
  const deadline = Date.now() + 30_000;
  while (!(web && (web.rps ?? 0) > 0 && web.successRate !== undefined) && Date.now() < deadline) {
    await delay(1000);
    const run = await weft('stat', 'deploy', '--since', '-15s', '--until', '-5s', '-o', 'json');
    if (run.code === 0) web = (JSON.parse(run.stdout) as StatJson).rows.find((r) => r.name === 'web');
  }
  t.ok(web && web.rps! > 0, 'weft stat deploy sees web serving requests', { web });

  await t.test('stat deploy: a row per deployment, the same numbers as PromQL over the same range', async (t) => {
    const now = Date.now();
    const range = ['--since', new Date(now - 15_000).toISOString(), '--until', new Date(now - 5000).toISOString()];
    const [table, json] = await Promise.all([weft('stat', 'deploy'), weft('stat', 'deploy/web', ...range, '-o', 'json')]);
    t.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    t.match(lines[0], /^NAME\s+MESHED\s+SUCCESS\s+RPS\s+LATENCY_P50\s+LATENCY_P95\s+LATENCY_P99\s+TCP_CONN$/);
    t.same(lines.slice(1).map((l) => l.split(/\s+/)[0]), ['books', 'load', 'stock', 'web'], 'every deployment of the demo');
    t.ok(lines.slice(1).every((l) => l.split(/\s+/)[1] === '1/1'), 'each one meshed: its proxy answers');
    t.match(lines.find((l) => l.startsWith('web')), /^web\s+1\/1\s+\d+\.\d\d%\s+\d+\.\drps\s+\d/, 'web has a success rate, rps and latency');
    t.match(table.stderr, `source: weft demo's Prometheus at ${context.prometheusUrl}`, 'says which source it used');

    const doc = JSON.parse(json.stdout) as StatJson;
    t.same(doc.rows.map((r) => r.name), ['web'], 'NAME selects one deployment');
    t.equal(Date.parse(doc.until) - Date.parse(doc.since), 10_000, '--since/--until set the range');
    const at = Date.parse(doc.until) / 1000;
    const window = `${Math.round((Date.parse(doc.until) - Date.parse(doc.since)) / 1000)}s`;
    const sel = (extra: string) => `${METRIC.responseTotal}{namespace="demo",deployment="web",direction="inbound"${extra}}`;
    const promql = `sum(increase(${sel(',classification="success"')}[${window}])) / sum(increase(${sel('')}[${window}]))`;
    const answer = JSON.parse(await (await fetch(`${context.prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}&time=${at}`)).text());
    const expected = Number(answer.data.result[0].value[1]);
    t.ok(Math.abs(doc.rows[0].successRate! - expected) < 1e-9, `web's success rate ${doc.rows[0].successRate} equals Prometheus' ${expected} for ${doc.since} … ${doc.until}`);
    t.ok(doc.rows[0].successRate! > 0.5 && doc.rows[0].successRate! < 1, 'the failing book keeps it below 100 %');
  });

  await t.test('stat deploy --from deploy/web and --to deploy/books: traffic at the callers\' outbound side, by dst_deployment', async (t) => {
    const now = Date.now();
    const range = ['--since', new Date(now - 15_000).toISOString(), '--until', new Date(now - 5000).toISOString()];
    const [from, to, table] = await Promise.all([
      weft('stat', 'deploy', '--from', 'deploy/web', ...range, '-o', 'json'),
      weft('stat', 'deploy', '--to', 'deploy/books', ...range, '-o', 'json'),
      weft('stat', 'deploy', '--to', 'deployment/web'),
    ]);
    t.equal(from.code, 0, from.stderr);
    const doc = JSON.parse(from.stdout) as StatJson;
    t.same(doc.rows.map((r) => r.name), ['books'], 'what web calls: books');
    t.equal(doc.from, 'deploy/web');
    t.same(doc.rows[0].meshed, { ready: 1, total: 1 }, "books' own proxy says it is meshed");
    const at = Date.parse(doc.until) / 1000;
    const sel = (extra: string) => `${METRIC.responseTotal}{direction="outbound",namespace="demo",deployment="web",dst_namespace="demo",dst_deployment="books"${extra}}`;
    const ask = async (promql: string) => Number(JSON.parse(await (await fetch(`${context.prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}&time=${at}`)).text()).data.result[0].value[1]);
    const [responses, successRate] = await Promise.all([ask(`sum(increase(${sel('')}[10s]))`), ask(`sum(increase(${sel(',classification="success"')}[10s])) / sum(increase(${sel('')}[10s]))`)]);
    t.ok(Math.abs(doc.rows[0].responses - responses) < 1e-9, `web → books responses ${doc.rows[0].responses} equal Prometheus' ${responses}`);
    t.ok(Math.abs(doc.rows[0].successRate! - successRate) < 1e-9, `and the success rate ${doc.rows[0].successRate} equals Prometheus' ${successRate}`);
    t.ok(successRate < 1, 'the failing book is among them');
    t.equal(to.code, 0, to.stderr);
    t.same((JSON.parse(to.stdout) as StatJson).rows.map((r) => r.name), ['web'], "books' callers: web");
    t.same(table.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]), ['load'], "web's callers, as a table");
  });

  await t.test('stat svc and ns; edges with both identities', async (t) => {
    const [svc, ns, edges] = await Promise.all([weft('stat', 'svc', '-o', 'json'), weft('stat', 'ns', '-A'), weft('edges', 'deploy')]);
    t.same((JSON.parse(svc.stdout) as StatJson).rows.map((r) => r.name), ['books', 'web'], 'services called over HTTP, seen by their callers');
    t.match(ns.stdout, /^demo\s+4\/4\s+\d/m, 'the namespace with all four proxies meshed');
    const rows = edges.stdout.trim().split('\n').map((l) => l.split(/\s+/));
    t.same(rows[0], ['SRC', 'DST', 'SRC_NS', 'DST_NS', 'CLIENT_ID', 'SERVER_ID', 'MSG']);
    t.same(rows.slice(1), [
      ['books', 'stock', 'demo', 'demo', identityOf('books'), identityOf('stock'), '-'],
      ['load', 'web', 'demo', 'demo', identityOf('load'), identityOf('web'), '-'],
      ['web', 'books', 'demo', 'demo', identityOf('web'), identityOf('books'), '-'],
    ], 'every hop of the demo, mTLS with both names (books → stock is opaque TCP)');
  });

  await t.test('through the Kubernetes API: the service proxy reaches the same Prometheus', async (t) => {
    const kube = await startKubeApiServer({ namespaces: ['default', 'weft'] });
    t.teardown(() => kube.close());
    const prom = new URL(context.prometheusUrl!);
    kube.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'weft-prometheus', namespace: 'weft' }, spec: { ports: [{ name: 'http', port: 9090 }] } });
    kube.store.create({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'weft-prometheus-1', namespace: 'weft', labels: { 'kubernetes.io/service-name': 'weft-prometheus' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [prom.hostname] }],
      ports: [{ name: 'http', port: Number(prom.port) }],
    });
    const to = new Date().toISOString();
    const kubeconfig = kube.kubeconfigFile(dir);
    const [viaKube, direct] = await Promise.all([
      weft('stat', 'deploy', '-n', 'demo', '--until', to, '--kubeconfig', kubeconfig, '-o', 'json'),
      weft('stat', 'deploy', '-n', 'demo', '--until', to, '--prometheus-url', context.prometheusUrl!, '-o', 'json'),
    ]);
    t.equal(viaKube.code, 0, viaKube.stderr);
    const [a, b] = [JSON.parse(viaKube.stdout) as StatJson, JSON.parse(direct.stdout) as StatJson];
    t.match(a.source, `/api/v1/namespaces/weft/services/weft-prometheus:9090/proxy`, 'says it went through the API server');
    t.same(a.rows, b.rows, 'the same rows as asking Prometheus directly');
    t.ok(kube.requests.some((r) => r.path === '/api/v1/namespaces/weft/services/weft-prometheus:9090/proxy/api/v1/query'), 'the queries crossed the service proxy');
  });

  await t.test("the local source: the proxies' own /metrics, sampled by the CLI", async (t) => {
    const admin = (name: 'web' | 'books') => `${name}=${new URL(demo.info.metricsUrls[name]).host}`;
    const run = await weft('stat', 'deploy', '--proxy-admin', `${admin('web')},${admin('books')}`, '-n', 'demo', '-o', 'json');
    t.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as StatJson;
    t.match(doc.source, "the proxies' own /metrics, sampled over 2 s");
    t.same(doc.rows.map((r) => r.name), ['books', 'web']);
    t.ok(doc.rows.every((r) => (r.rps ?? 0) > 0 && r.successRate !== undefined), 'both served requests meanwhile', { rows: doc.rows });
  });

  await t.test('identity and diagnostics', async (t) => {
    const [table, json, endpoints, metrics] = await Promise.all([
      weft('identity', 'web'),
      weft('identity', 'web-0', '-o', 'json'),
      weft('diagnostics', 'endpoints', 'books.demo.svc.cluster.local:8080'),
      weft('diagnostics', 'proxy-metrics', 'books'),
    ]);
    t.match(table.stdout, new RegExp(`^identity  ${identityOf('web').replace(/\./g, '\\.')}\nexpires   \\d{4}-`), table.stderr);
    t.match(table.stdout, /chain \(leaf first\)\nSUBJECT[\s\S]*DNS:web\.demo\.serviceaccount[\s\S]*trust anchors\n/);
    const doc = JSON.parse(json.stdout) as { name: string; chainPem: string; certificates: unknown[] };
    t.equal(doc.name, identityOf('web'));
    t.equal(doc.certificates.length, 2, 'leaf and issuer');
    t.match(doc.chainPem, /^-----BEGIN CERTIFICATE-----/);
    t.notMatch(json.stdout, /PRIVATE KEY/, 'never the key');
    t.match(endpoints.stdout, /^NAMESPACE\s+IP\s+PORT\s+POD\s+SERVICE\s+IDENTITY\s+PROTOCOL\s+STATE\ndemo\s+127\.0\.0\.1\s+\d+\s+books-0\s+books\s+books\.demo\.serviceaccount\S+\s+h2\s+ready, meshed \(mTLS\)\n$/, endpoints.stderr);
    t.match(metrics.stdout, /^response_total\{direction="inbound"/m, "the proxy's own exposition");
  });

  await t.test("the demo's Prometheus records weft install prometheus's rules", async (t) => {
    const record = WORKLOAD_RECORDINGS.deployment.requestRate;
    const rules = JSON.parse(await (await fetch(`${context.prometheusUrl}/api/v1/rules?type=record`)).text()) as { data: { groups: { rules: { name: string }[] }[] } };
    const loaded = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)).sort();
    t.same(loaded, prometheusRuleGroups().flatMap((g) => g.rules.filter((r) => 'record' in r).map((r) => (r as { record: string }).record)).sort(), 'every recording rule, as weft install prometheus renders them');
    // Recorded every evaluation (2 s) once web's requests are in Prometheus.
    let web: { value: [number, string] } | undefined;
    const deadline = Date.now() + 30_000;
    while (!web && Date.now() < deadline) {
      const answer = JSON.parse(await (await fetch(`${context.prometheusUrl}/api/v1/query?query=${encodeURIComponent(`${record}{namespace="demo",deployment="web",direction="inbound"}`)}`)).text()) as { data: { result: { value: [number, string] }[] } };
      web = answer.data.result[0];
      if (!web) await delay(1000);
    }
    t.ok(web && Number(web.value[1]) > 0, `${record} for web answers: ${web?.value[1]} rps`);
  });

  await t.test("weft tap deploy/web: the demo's tap service, found through its context, streams live requests", async (t) => {
    t.match(context.tapAddr, /^127\.0\.0\.1:\d+$/, 'the context names the tap service');
    const tap = startBin('weft', ['tap', 'deploy/web', '-n', 'demo', '-o', 'json'], { timeoutMs: 60_000 });
    t.teardown(() => tap.kill('SIGKILL'));
    const events = () => tap.stdout().split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as TapRecord);
    const until = Date.now() + 30_000;
    // The load generator keeps web busy: both directions show up within a few of its requests.
    const both = () => ['inbound', 'outbound'].every((d) => events().some((e) => e.direction === d));
    while (!both() && !tap.exited() && Date.now() < until) await delay(200);
    tap.kill('SIGINT');
    const run = await tap.done;
    t.equal(run.code, 0, `interrupted, it exits cleanly: ${run.stderr}`);
    t.equal(run.stderr, '', 'every pod of web could be tapped');
    const inbound = events().find((e) => e.direction === 'inbound');
    t.match(inbound, { namespace: 'demo', pod: 'web-0', method: 'GET', authority: 'web.demo.svc.cluster.local:8080', status: Number, tls: true, clientId: identityOf('load') }, 'the load generator calling web, over mTLS');
    const outbound = events().find((e) => e.direction === 'outbound');
    t.match(outbound, { pod: 'web-0', authority: 'books.demo.svc.cluster.local:8080', tls: true, serverId: identityOf('books') }, 'web calling books');
    t.ok(events().every((e) => typeof e.timeMs === 'number' && e.latencyMs >= 0 && typeof e.path === 'string'), 'every event has its time, latency and path');
  });

  await t.test('bad input: one line naming what exists, or the URL that did not answer', async (t) => {
    const [name, type, pod, prom, fromName, fromBare, fromSvc] = await Promise.all([
      weft('stat', 'deploy', 'nope'),
      weft('stat', 'deployz'),
      weft('identity', 'nope'),
      weft('stat', 'deploy', '--prometheus-url', 'http://127.0.0.1:1'),
      weft('stat', 'deploy', '--from', 'deploy/nope'),
      weft('stat', 'deploy', '--from', 'deploy'),
      weft('stat', 'deploy', '--from', 'svc/books'),
    ]);
    t.same([fromName.code, fromName.stderr], [1, 'weft: error: --from deploy/nope: no deployment "nope" in namespace demo; known in namespace demo: books, load, stock and web\n']);
    t.same([fromBare.code, fromBare.stderr], [2, 'weft: error: --from "deploy" names no resource: write TYPE/NAME, e.g. --from deploy/web\n']);
    t.match(fromSvc.stderr, /^weft: error: --from svc\/books: a service sends no traffic; use --to svc\/books, or --from the deploy or pod behind it\n$/);
    t.equal(fromSvc.code, 2);
    t.same([name.code, name.stderr], [1, 'weft: error: no deployment "nope" in namespace demo; known in namespace demo: books, load, stock and web\n']);
    t.same([type.code, type.stderr], [2, 'weft: error: unknown resource type "deployz": use deploy, pod, svc or ns\n']);
    t.same([pod.code, pod.stderr], [1, 'weft: error: no pod "nope" in namespace demo of weft demo; known: stock-0, books-0, web-0 and load-0\n']);
    t.same([prom.code, prom.stderr], [1, 'weft: error: cannot reach Prometheus at http://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n']);
  });

  await t.test('weft top redraws in a terminal and quits on q', { skip: tmuxMissingReason() ?? false }, async (t) => {
    const socket = `weft-test-${process.pid}`;
    t.teardown(() => tmux(socket, 'kill-server').catch(() => undefined));
    const command = `env -u NODE_OPTIONS WEFT_CONTEXT=${process.env.WEFT_CONTEXT} ${process.execPath} ${path.resolve(__dirname, '../../bin/weft.js')} top --refresh 1s -t 10s; sleep 30`;
    await tmux(socket, 'new-session', '-d', '-s', 'top', '-x', '160', '-y', '40', command);
    const screen = () => tmux(socket, 'capture-pane', '-p', '-t', 'top');
    const waitForScreen = async (what: string, accept: (text: string) => boolean) => {
      const until = Date.now() + 20_000;
      let text = '';
      while (Date.now() < until) {
        text = await screen();
        if (accept(text)) return text;
        await delay(300);
      }
      throw new Error(`the screen never showed ${what}:\n${text}`);
    };
    const first = await waitForScreen('the busiest paths', (s) => /^demo\s+load\s+web\.demo\.svc\.cluster\.local:8080\s+\d+\.\drps/m.test(s));
    t.match(first, /weft top: busiest paths over the last 10s, (\S+) \(q quits\)/);
    t.match(first, /^demo\s+web\s+books\.demo\.svc\.cluster\.local:8080\s+\d/m, 'web → books too');
    const stamp = /over the last 10s, (\S+)/.exec(first)![1];
    await waitForScreen('a redraw', (s) => !s.includes(stamp) && s.includes('weft top: busiest paths'));
    t.pass('it redraws with a new time');
    await tmux(socket, 'send-keys', '-t', 'top', 'q');
    await waitForScreen('top gone after q', (s) => !s.includes('weft top:'));
    t.pass('q quits and clears the screen');
  });

  demo.child.kill('SIGINT');
  t.equal(await Promise.race([demo.exited, delay(20_000).then(() => 'still running')]), 0, 'the demo stops cleanly');
  t.notOk(fs.existsSync(process.env.WEFT_CONTEXT!), 'and removes its context file');
});
