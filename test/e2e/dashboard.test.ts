// The dashboard in real Chromium (playwright-core driving Debian's chromium) over a running `weft demo`: the
// demo's own dashboard, and `weft dashboard` started as a user would, finding the demo's Prometheus through the
// demo's context file. Every request the browser makes is intercepted and must stay on loopback; the page must
// log no error.
import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { Test } from 'tap';
import type { Page } from 'playwright-core';
import { delay, freePort, startDemo, untrackedNode } from '../fixtures/demo';
import { prometheusMissingReason } from '../fixtures/prometheus';
import { CONTEXT_ENV } from '../../common/views/context';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(__dirname, '../..');
const WINDOW_SECONDS = 60;
const PAGE_TIMEOUT_MS = 20_000;

function chromiumMissingReason(): string | undefined {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return undefined;
  } catch {
    return `${CHROMIUM} is not installed (Debian package \`chromium\`)`;
  }
}

const skip = chromiumMissingReason();

/** Resolves with the first match of `pattern` in what `read` returns, polling; fails after `timeoutMs`. */
async function waitForText(read: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(read());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms in:\n${read().slice(-2000)}`);
    await delay(100);
  }
}

/** `weft dashboard ARGS` as a child process, stopped at teardown; resolves with its URL. */
async function startDashboardCommand(t: Test, args: string[]): Promise<string> {
  const child: ChildProcess = spawn(...untrackedNode([path.join(REPO, 'bin/weft.js'), 'dashboard', ...args]), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  return (await waitForText(() => out, /weft dashboard: (http:\/\/\S+)/, 60_000))[1];
}

/** Prometheus' own answer to `promql` at `atMs`, the time the page's numbers are for. */
function promQueryAt(base: string, promql: string, atMs: number): Promise<number[]> {
  const url = `${base}/api/v1/query?query=${encodeURIComponent(promql)}&time=${(atMs / 1000).toFixed(3)}`;
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => {
          const answer = JSON.parse(body) as { status: string; data: { result: { value: [number, string] }[] } };
          if (answer.status !== 'success') return reject(new Error(`${promql}: ${body}`));
          resolve(answer.data.result.map((r) => Number(r.value[1])));
        });
      })
      .on('error', reject);
  });
}

/** How many pixels of a PNG differ from its top-left pixel (the page background), counted in a blank page. */
async function contentPixels(scratch: Page, png: Buffer): Promise<{ width: number; height: number; differing: number }> {
  return scratch.evaluate(async (dataUrl) => {
    const img = new Image();
    img.src = dataUrl;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    let differing = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) differing++;
    return { width: img.width, height: img.height, differing };
  }, `data:image/png;base64,${png.toString('base64')}`);
}

const attr = (page: Page, selector: string, name: string) => page.locator(selector).first().getAttribute(name, { timeout: PAGE_TIMEOUT_MS });

/** Polls the SLO row's raw budget until it is below `than` (the page refreshes every few seconds). */
async function budgetBelow(page: Page, than: number, timeoutMs: number): Promise<number> {
  const row = 'tr[data-service="books"][data-kind="success-rate"]';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = Number(await attr(page, row, 'data-budget-remaining'));
    if (value < than || Date.now() > deadline) return value;
    await delay(500);
  }
}

t.test('the dashboard over a running demo, in Chromium', { skip, timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const mark = (what: string) => t.comment(`${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const { chromium } = await import('playwright-core');
  // This test's own context file, so that `weft dashboard` finds this demo and no other.
  const contextDir = await fs.mkdtemp(path.join(os.tmpdir(), 'weft-dashboard-test-'));
  t.teardown(() => fs.rm(contextDir, { recursive: true, force: true }));
  process.env[CONTEXT_ENV] = path.join(contextDir, 'context.json');
  const [demo, browser] = await Promise.all([startDemo(t, ['--rps', '20']), chromium.launch({ executablePath: CHROMIUM, headless: true })]);
  t.teardown(() => browser.close());
  const printed = await waitForText(demo.stdout, /Dashboard: (http:\/\/\S+)\nController metrics \(with the SLO gauges\): (http:\/\/\S+)\n/, 10_000);
  const [, demoDashboard, controllerMetrics] = printed;
  const prometheusUrl = /Prometheus \([^)]*\) scrapes every proxy at (http:\/\/[^;\s]+)/.exec(demo.stdout())?.[1];
  const cliDashboard = await startDashboardCommand(t, ['--port', String(await freePort()), '--controller-metrics', controllerMetrics]);
  mark('demo, Chromium and weft dashboard up');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const requested: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    requested.push(url.href);
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
    return route.abort('blockedbyclient');
  });
  const problems: string[] = [];
  const open = async (t: Test, url: string) => {
    const page = await context.newPage();
    page.on('console', (msg) => msg.type() === 'error' && problems.push(`console: ${msg.text()}`));
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await page.goto(url);
    // Each page polls the server every few seconds: closed when its test ends, so pages do not pile up.
    t.teardown(() => page.close());
    return page;
  };

  await t.test('the graph shows web, books and stock with the calls between them, over mTLS', async (t) => {
    const page = await open(t, demoDashboard);
    mark('page open');
    for (const node of ['web', 'books', 'stock']) await page.locator(`[data-node="${node}"]`).waitFor({ timeout: PAGE_TIMEOUT_MS });
    for (const edge of ['web->books', 'books->stock']) {
      const selector = `[data-edge="${edge}"]`;
      await page.locator(selector).waitFor({ timeout: PAGE_TIMEOUT_MS });
      t.equal(await attr(page, selector, 'data-mtls'), 'true', `${edge} is mTLS`);
      t.ok(Number(await attr(page, selector, 'data-rate')) > 0, `${edge} carries traffic`);
    }
    t.match(await page.locator('[data-node="books"]').textContent(), /books\s*\d+\.\d%/, 'books shows its success rate');
    mark('graph checked');
    const sparkPoints = Number(await attr(page, 'tr[data-workload="books"] svg.spark.rps', 'data-points'));
    t.ok(sparkPoints >= 2, `books' request-rate sparkline has ${sparkPoints} points`);
    await page.selectOption('#window', '300');
    await page.locator('#updated[data-window="300"]').waitFor({ timeout: PAGE_TIMEOUT_MS });
    t.pass('the window picker asks for the window picked');
    // Counted in a page of its own: the dashboard's CSP (rightly) refuses data: images.
    const scratch = await browser.newPage();
    const pixels = await contentPixels(scratch, await page.screenshot({ fullPage: true }));
    t.ok(pixels.width >= 1280 && pixels.height >= 600, `screenshot is ${pixels.width}x${pixels.height}`);
    t.ok(pixels.differing > 20_000, `screenshot has content (${pixels.differing} pixels differ from the background)`);
    const graph = await contentPixels(scratch, await page.locator('#graph').screenshot());
    await scratch.close();
    t.ok(graph.differing > 2000, `the graph is drawn (${graph.differing} pixels)`);
  });

  await t.test("the SLO panel shows books' error budget going down", async (t) => {
    const page = await open(t, demoDashboard);
    const row = 'tr[data-service="books"][data-kind="success-rate"]';
    await page.locator(row).waitFor({ timeout: PAGE_TIMEOUT_MS });
    const first = await budgetBelow(page, 1, PAGE_TIMEOUT_MS);
    t.ok(first < 1, `books has spent some of its budget (${first})`);
    const second = await budgetBelow(page, first, PAGE_TIMEOUT_MS);
    t.ok(second < first, `and keeps spending it: ${first} then ${second}`);
    t.match(await page.locator(row).textContent(), /99\.00% success/, 'the objective is shown as declared');
    t.ok(Number((await page.locator(`${row} [data-burn="5m"]`).textContent())!.replace('×', '')) > 1, 'burning faster than the budget allows');
  });

  await t.test('the tap view shows live requests, as its filters select them', async (t) => {
    const page = await open(t, demoDashboard);
    const books = 'books.demo.svc.cluster.local:8080';
    await page.fill('#tap-form input[name="resource"]', 'deploy/web');
    await page.fill('#tap-form input[name="namespace"]', 'demo');
    await page.fill('#tap-form input[name="authority"]', books);
    await page.click('#tap-toggle');
    await page.locator('#tap tbody tr').nth(2).waitFor({ timeout: PAGE_TIMEOUT_MS });
    t.equal(await page.locator('#tap-state').textContent(), 'streaming');
    const rows = await page.locator('#tap tbody tr').evaluateAll((trs) => trs.map((tr) => ({ data: { ...(tr as HTMLElement).dataset } as Record<string, string | undefined>, cells: [...(tr as HTMLTableRowElement).cells].map((c) => c.textContent) })));
    t.ok(rows.length >= 3, `${rows.length} requests shown`);
    t.ok(rows.every(({ data }) => data.authority === books && data.direction === 'outbound' && data.pod === 'web-0'), 'only web calling books, as the authority filter asks', { rows: rows.slice(0, 3) });
    t.ok(rows.every(({ data }) => data.method === 'POST' && /^\d{3}$/.test(data.status ?? '')), 'each with its method (web calls books over gRPC) and status');
    t.match(rows[0].cells, [/\d/, 'demo/web-0', 'outbound', 'POST', books, /^\/weft\.demo\./, /^\d{3}$/, /^\d+$/, /ms$/, /^\d+$/, 'mTLS', /^books\.demo\.serviceaccount/, '-'], 'the row as shown');
    await page.click('#tap-toggle');
    await page.locator('#tap-state').filter({ hasText: 'stopped' }).waitFor({ timeout: PAGE_TIMEOUT_MS });
    t.pass('Stop ends the stream');
  });

  const noPrometheus = prometheusUrl ? undefined : (prometheusMissingReason() ?? 'the demo runs no Prometheus');
  await t.test("a workload's success rate on the page is Prometheus' answer for the same window", { skip: noPrometheus }, async (t) => {
    const page = await open(t, cliDashboard);
    await page.locator('#source').filter({ hasText: 'Prometheus' }).waitFor({ timeout: PAGE_TIMEOUT_MS });
    const row = 'tr[data-workload="books"]';
    const scope = `direction="inbound",namespace="demo",deployment="books"`;
    const promql = `sum(increase(response_total{${scope},classification="success"}[${WINDOW_SECONDS}s])) / sum(increase(response_total{${scope}}[${WINDOW_SECONDS}s]))`;
    // A scrape stamped before the page's time can land in Prometheus just after the page asked: then the two
    // answers differ by that scrape, and the next refresh (a few seconds on) compares again.
    let compared: { page: number; prometheus: number } | undefined;
    const deadline = Date.now() + PAGE_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const [rate, atMs, window] = await Promise.all([attr(page, row, 'data-success-rate'), attr(page, '#updated', 'data-at-ms'), attr(page, '#updated', 'data-window')]);
      if (rate === '' || rate === null || window !== String(WINDOW_SECONDS)) {
        await delay(500);
        continue;
      }
      const [answer] = await promQueryAt(prometheusUrl!, promql, Number(atMs));
      compared = { page: Number(rate), prometheus: answer };
      if (Math.abs(compared.page - compared.prometheus) < 1e-9) break;
      await delay(1500);
    }
    t.ok(compared, 'the page showed a success rate for books');
    t.ok(Math.abs(compared!.page - compared!.prometheus) < 1e-9, `page ${compared?.page} = Prometheus ${compared?.prometheus}`);
    t.ok(compared!.page > 0.5 && compared!.page < 1, 'books fails its broken book, and only that');
    await page.locator('tr[data-service="books"][data-kind="latency"]').waitFor({ timeout: PAGE_TIMEOUT_MS });
    t.pass("weft dashboard shows the objectives from the controller's gauges");
  });

  t.same(problems, [], 'no console errors');
  t.ok(requested.length > 0, `the browser asked for ${requested.length} URLs`);
  t.same(
    requested.filter((url) => !['127.0.0.1', 'localhost'].includes(new URL(url).hostname)),
    [],
    'every request stayed on loopback',
  );
});
