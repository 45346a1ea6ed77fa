// What each of the proxy's heavy modules costs in resident memory at start-up (issue 11, "Idle memory"), and
// what the whole proxy costs idle, built from dist/ as an image runs it:
//   npm run build && node dist/bench/module-cost.js
// Every row is measured in fresh processes (median of 3): bare node requiring one module alone, then a
// collection (`--expose-gc`, gc twice) before reading RSS; the proxy rows start weft-proxy with a local
// endpoints file and, for mTLS, a certificate from a bench identity service (bench/identity.ts), wait for
// /ready, let start-up work settle, then collect and read RSS through bench/rss-probe.ts.
// Writes bench/results/module-cost.md and prints the same table.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../common/entrypoint';
import { UNDICI_CONNECT_MODULE, UNDICI_POOL_MODULE } from '../proxy/http/undici-modules';
import { startBenchIdentity } from './identity';
import { freePort } from './net';
import { installCleanupHandlers, runPinned, SERVER_CORE, stopProcess } from './processes';
import { startWeftProxy } from './weft';

const ROUNDS = 3;
const MB = 1024 * 1024;
/** After /ready: start-up work deferred to setImmediate and the first certificate's follow-ups finish. */
const SETTLE_MS = 1500;
const RSS_READ_TIMEOUT_MS = 5000;
const RESULTS_FILE = path.join(REPO_ROOT, 'bench', 'results', 'module-cost.md');

/** Packages and our own modules the proxy may load, each required alone into bare node. */
const MODULES: { label: string; request: string | string[] }[] = [
  { label: 'undici (its index)', request: 'undici' },
  { label: 'undici Pool + connector (what http1-upstream.ts loads)', request: [UNDICI_POOL_MODULE, UNDICI_CONNECT_MODULE] },
  { label: 'prom-client', request: 'prom-client' },
  { label: 'pino', request: 'pino' },
  { label: 'yaml', request: 'yaml' },
  { label: '@grpc/grpc-js', request: '@grpc/grpc-js' },
  { label: '@grpc/proto-loader', request: '@grpc/proto-loader' },
  { label: 'node-forge', request: 'node-forge' },
  { label: 'ewma', request: 'ewma' },
  { label: 'dist/common/grpc.js (grpc-js + proto-loader)', request: path.join(REPO_ROOT, 'dist', 'common', 'grpc.js') },
  { label: 'dist/proxy/identity/from-config.js (mTLS identity)', request: path.join(REPO_ROOT, 'dist', 'proxy', 'identity', 'from-config.js') },
  { label: 'dist/proxy/proxy.js (the proxy, not started)', request: path.join(REPO_ROOT, 'dist', 'proxy', 'proxy.js') },
];

/** V8/Node flags an image could pass, tried on the idle mTLS proxy. */
const FLAG_SETS: string[][] = [
  ['--max-semi-space-size=1'],
  ['--max-semi-space-size=2'],
  ['--max-semi-space-size=4'],
  ['--v8-pool-size=1'],
  ['--single-threaded-gc'],
];

interface Row {
  label: string;
  samples: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function moduleRss(request: string | string[] | undefined): Promise<number> {
  const requires = [request ?? []].flat().map((r) => `require(${JSON.stringify(r)});`);
  const code = `${requires.join('')}gc();gc();process.stdout.write(String(process.memoryUsage.rss()))`;
  const result = await runPinned('module-cost', SERVER_CORE, process.execPath, ['--expose-gc', '-e', code], 30_000);
  const rss = Number(result.stdout);
  if (result.code !== 0 || !Number.isFinite(rss) || rss <= 0) throw new Error(`measuring ${request ?? 'bare node'} failed: ${result.stderr}`);
  return rss;
}

async function proxyRss(dir: string, flags: string[], identityEnv: NodeJS.ProcessEnv | undefined): Promise<number> {
  const rssFile = path.join(dir, `rss-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const probe = path.join(__dirname, 'rss-probe.js');
  const appPort = await freePort();
  const proxy = await startWeftProxy(
    dir,
    appPort,
    { port: appPort, peerProxy: false },
    false,
    ['--expose-gc', '--require', probe, ...flags],
    { ...identityEnv, WEFT_BENCH_RSS_FILE: rssFile },
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    process.kill(proxy.process.pid, 'SIGUSR2');
    const deadline = Date.now() + RSS_READ_TIMEOUT_MS;
    while (!fs.existsSync(rssFile) || fs.readFileSync(rssFile, 'utf8') === '') {
      if (Date.now() > deadline) throw new Error(`the proxy wrote no RSS to ${rssFile}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Number(fs.readFileSync(rssFile, 'utf8'));
  } finally {
    await stopProcess(proxy.process);
  }
}

async function measure(label: string, once: () => Promise<number>): Promise<Row> {
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) samples.push(await once());
  process.stderr.write(`module-cost: ${label}: ${samples.map((s) => (s / MB).toFixed(1)).join(', ')} MB\n`);
  return { label, samples };
}

function table(bare: Row, rows: Row[], proxyBase: Row): string {
  const mb = (x: number) => (x / MB).toFixed(1);
  const delta = (x: number, base: number) => `${x >= base ? '+' : ''}${mb(x - base)}`;
  const lines = [
    '| module | RSS MB | Δ vs bare node MB |',
    '| --- | --- | --- |',
    `| bare node ${process.version} | ${mb(median(bare.samples))} | 0 |`,
    ...rows.map((r) => `| ${r.label} | ${mb(median(r.samples))} | ${delta(median(r.samples), median(bare.samples))} |`),
  ];
  return [
    `Measured ${new Date().toISOString()} on ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')};`,
    `median of ${ROUNDS} fresh processes each, RSS after gc (\`node dist/bench/module-cost.js\`).`,
    `Flag rows compare to "${proxyBase.label}" (${mb(median(proxyBase.samples))} MB).`,
    '',
    ...lines,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  installCleanupHandlers();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-module-cost-'));
  const identity = await startBenchIdentity(dir);
  try {
    const bare = await measure('bare node', () => moduleRss(undefined));
    const rows: Row[] = [];
    for (const m of MODULES) rows.push(await measure(m.label, () => moduleRss(m.request)));
    rows.push(await measure('weft-proxy idle, endpoints file, identity disabled', () => proxyRss(dir, [], undefined)));
    const mtlsLabel = 'weft-proxy idle, endpoints file, mTLS identity';
    const mtls = await measure(mtlsLabel, () => proxyRss(dir, [], identity.proxyEnv('proxy')));
    rows.push(mtls);
    for (const flags of FLAG_SETS) rows.push(await measure(`${mtlsLabel}, \`${flags.join(' ')}\``, () => proxyRss(dir, flags, identity.proxyEnv('proxy'))));
    const text = table(bare, rows, mtls);
    fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    fs.writeFileSync(RESULTS_FILE, `# Idle memory by module\n\n${text}`);
    process.stdout.write(text);
  } finally {
    await identity.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`module-cost: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
