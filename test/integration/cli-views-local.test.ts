// Without Prometheus (`weft demo --no-prometheus`, as on a machine without Debian's prometheus): the demo keeps
// its own series of its proxies' /metrics and `weft stat` and `weft edges` read them through the context file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import type { ViewsContext } from '../../common/views/context';
import { identityOf } from '../../cli/demo/topology';
import { delay, startDemo } from '../fixtures/demo';
import { runBin } from '../fixtures/run-bin';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cli-views-local-'));
process.env.WEFT_CONTEXT = path.join(dir, 'context.json');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const weft = (...args: string[]) => runBin('weft', args, { timeoutMs: 60_000 });

interface StatJson {
  source: string;
  rows: { name: string; meshed?: { ready: number; total: number }; successRate?: number; rps?: number; latencyMs: { p99?: number } }[];
}

t.test("weft stat and edges over the demo's own series of its proxies' metrics", async (t) => {
  const demo = await startDemo(t, ['--no-prometheus', '--duration', '600s', '--rps', '20']);
  t.match(demo.stdout(), "No Prometheus (--no-prometheus): weft stat, edges and top read the demo's own series");
  const context = JSON.parse(fs.readFileSync(process.env.WEFT_CONTEXT!, 'utf8')) as ViewsContext;
  t.equal(context.prometheusUrl, undefined);
  t.match(context.snapshotsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);

  let doc: StatJson | undefined;
  const deadline = Date.now() + 30_000;
  const ready = (d?: StatJson) => d?.rows.find((r) => r.name === 'web' && (r.rps ?? 0) > 0 && r.latencyMs.p99 !== undefined);
  while (!ready(doc) && Date.now() < deadline) {
    await delay(1000);
    const run = await weft('stat', 'deploy', '-t', '10m', '-o', 'json');
    if (run.code === 0) doc = JSON.parse(run.stdout) as StatJson;
  }
  t.ok(ready(doc), 'web serves requests, with latency', { doc });
  t.match(doc!.source, `weft demo's series of its proxies' own /metrics (${context.snapshotsUrl}; no Prometheus)`, 'says which source it used');
  t.same(doc!.rows.map((r) => [r.name, r.meshed]), ['books', 'load', 'stock', 'web'].map((name) => [name, { ready: 1, total: 1 }]));
  const web = ready(doc)!;
  t.ok(web.successRate! > 0.5 && web.successRate! < 1, `the failing book keeps web's success rate below 100 %: ${web.successRate}`);

  const [from, to] = await Promise.all([weft('stat', 'deploy', '--from', 'deploy/web', '-t', '10m', '-o', 'json'), weft('stat', 'deploy', '--to', 'deploy/books', '-t', '10m', '-o', 'json')]);
  t.equal(from.code, 0, from.stderr);
  const sent = (JSON.parse(from.stdout) as StatJson).rows;
  t.same(sent.map((r) => r.name), ['books'], 'what web calls, from its own outbound series (dst_deployment)');
  t.ok((sent[0].rps ?? 0) > 0 && sent[0].successRate! < 1, 'with the failing book among them', { sent });
  t.same((JSON.parse(to.stdout) as StatJson).rows.map((r) => r.name), ['web'], "books' callers");

  const edges = await weft('edges', 'deploy', 'web');
  t.same(edges.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)), [
    ['load', 'web', 'demo', 'demo', identityOf('load'), identityOf('web'), '-'],
    ['web', 'books', 'demo', 'demo', identityOf('web'), identityOf('books'), '-'],
  ], 'the edges to and from web, from the same series', { stderr: edges.stderr });

  demo.child.kill('SIGINT');
  t.equal(await Promise.race([demo.exited, delay(20_000).then(() => 'still running')]), 0, 'the demo stops cleanly');
  t.notOk(fs.existsSync(process.env.WEFT_CONTEXT!), 'and removes its context file');
});
