// Balancing benchmark (issue 5): three backends, one of them 10x slower, behind weft (P2C peak-EWMA), HAProxy
// (roundrobin and leastconn) and nginx (round robin), in one run. The same constant-rate load (wrk2-style:
// latency from when each request was due) goes through each in turn; the table compares p50 and p99.
// Run alone with `node dist/bench/balance.js`, or from bench/run.ts through runBalanceBench().
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENV } from '../common/contract';
import { nodeArgsFor } from '../common/entrypoint';
import type { ConstantRateOptions, ConstantRateResult } from './load/constant-rate-client';
import { runNodeTool } from './load/node-tool';
import { LOOPBACK, freePort, waitForHttp200, waitForPort } from './net';
import { deathNote, installCleanupHandlers, Pinned, SERVER_CORE, spawnPinned, stopAll, stopProcess } from './processes';

// Slow enough that this shared machine's scheduling noise (often tens of ms) does not decide the outcome.
const FAST_MS = 20;
const SLOW_MS = 200;
const AUTHORITY = 'balance.bench.local:80';
const LOAD: Omit<ConstantRateOptions, 'port'> = {
  protocol: 'http1',
  authority: AUTHORITY,
  ratePerSecond: 200,
  // Peak-EWMA's estimates move with time (decay 10 s) from their 30 ms default: give every path the same warm-up.
  warmupMs: 10_000,
  durationMs: 15_000,
  connections: 64,
};

interface Balancer {
  name: string;
  start(dir: string, backendPorts: number[]): Promise<{ port: number; process: Pinned }>;
}

const BALANCERS: Balancer[] = [
  { name: 'weft (P2C peak-EWMA)', start: startWeft },
  { name: 'HAProxy roundrobin', start: (dir, ports) => startHaproxy(dir, ports, 'roundrobin') },
  { name: 'HAProxy leastconn', start: (dir, ports) => startHaproxy(dir, ports, 'leastconn') },
  { name: 'nginx round robin', start: startNginx },
];

export interface BalanceRow extends Partial<ConstantRateResult> {
  balancer: string;
  error?: string;
}

export async function runBalanceBench(): Promise<{ table: string; json: unknown }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-balance-bench-'));
  const backends: Pinned[] = [];
  const rows: BalanceRow[] = [];
  try {
    const ports: number[] = [];
    for (const delay of [FAST_MS, FAST_MS, SLOW_MS]) {
      const backend = await startBackend(delay);
      backends.push(backend.process);
      ports.push(backend.port);
    }
    for (const balancer of BALANCERS) rows.push(await measure(balancer, dir, ports));
  } finally {
    await Promise.all(backends.map((b) => stopProcess(b)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const method =
    `Three HTTP/1.1 backends answering after ${FAST_MS}, ${FAST_MS} and ${SLOW_MS} ms; ${LOAD.ratePerSecond} requests/s at a constant rate ` +
    `over ${LOAD.connections} keep-alive connections, ${LOAD.warmupMs / 1000} s warm-up then ${LOAD.durationMs / 1000} s measured, per balancer. ` +
    'Latency counts from when each request was due. Balancer and backends on the server core, load on the load core.';
  return { table: markdown(rows, method), json: { method, fastMs: FAST_MS, slowMs: SLOW_MS, load: LOAD, rows } };
}

async function measure(balancer: Balancer, dir: string, ports: number[]): Promise<BalanceRow> {
  let started: { port: number; process: Pinned } | undefined;
  try {
    started = await balancer.start(dir, ports);
    const result = await runNodeTool<ConstantRateResult>('bench/load/constant-rate-client', { ...LOAD, port: started.port }, LOAD.warmupMs + LOAD.durationMs + 30_000);
    return { balancer: balancer.name, ...result };
  } catch (err) {
    return { balancer: balancer.name, error: err instanceof Error ? err.message : String(err) };
  } finally {
    if (started) await stopProcess(started.process);
  }
}

function markdown(rows: BalanceRow[], method: string): string {
  const rr = Math.min(...rows.filter((r) => /round ?robin/.test(r.balancer) && r.p99Ms !== undefined).map((r) => r.p99Ms!));
  const cell = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
  return [
    '### Balancing: one of three backends 10x slower',
    '',
    method,
    '',
    '| balancer | p50 ms | p90 ms | p99 ms | max ms | failed | best round robin p99 ÷ this p99 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) =>
      r.error !== undefined
        ? `| ${r.balancer} | — | — | — | — | — | ${r.error} |`
        : `| ${r.balancer} | ${cell(r.p50Ms)} | ${cell(r.p90Ms)} | ${cell(r.p99Ms)} | ${cell(r.maxMs)} | ${r.failed} | ${cell(rr / r.p99Ms!, 1)}× |`,
    ),
    '',
  ].join('\n');
}

async function startBackend(delayMs: number): Promise<{ port: number; process: Pinned }> {
  const p = spawnPinned(`balance backend ${delayMs} ms`, SERVER_CORE, process.execPath, [...nodeArgsFor('bench/balance-backend'), String(delayMs)]);
  const dead = deathNote(p);
  for (let waited = 0; waited < 10_000; waited += 20) {
    const line = /^\{.*\}$/m.exec(p.stdout());
    if (line) return { port: (JSON.parse(line[0]) as { port: number }).port, process: p };
    if (dead() !== undefined) throw new Error(`balance backend exited at start-up: ${dead()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await stopProcess(p);
  throw new Error('balance backend printed no port within 10 s');
}

async function startWeft(dir: string, ports: number[]): Promise<{ port: number; process: Pinned }> {
  const [outbound, inbound, admin, tap] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const endpointsFile = path.join(dir, 'weft-endpoints.json');
  fs.writeFileSync(endpointsFile, JSON.stringify({ services: [{ authority: AUTHORITY, endpoints: ports.map((p) => ({ addr: `${LOOPBACK}:${p}` })) }] }));
  const p = spawnPinned('weft-proxy', SERVER_CORE, process.execPath, nodeArgsFor('proxy/main'), {
    [ENV.outboundListenAddr]: `${LOOPBACK}:${outbound}`,
    [ENV.inboundListenAddr]: `${LOOPBACK}:${inbound}`,
    [ENV.adminListenAddr]: `${LOOPBACK}:${admin}`,
    [ENV.tapListenAddr]: `${LOOPBACK}:${tap}`,
    [ENV.identityDisabled]: 'true',
    [ENV.destinationFile]: endpointsFile,
    [ENV.log]: 'warn',
    [ENV.shutdownGracePeriod]: '1s',
  });
  await waitForHttp200('weft-proxy', `http://${LOOPBACK}:${admin}/ready`, deathNote(p));
  return { port: outbound, process: p };
}

async function startHaproxy(dir: string, ports: number[], algorithm: 'roundrobin' | 'leastconn'): Promise<{ port: number; process: Pinned }> {
  const port = await freePort();
  const file = path.join(dir, `haproxy-${algorithm}.cfg`);
  const config = [
    'global',
    '  nbthread 1',
    '  maxconn 4000',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  option http-keep-alive',
    '  http-reuse always',
    'frontend bench',
    `  bind ${LOOPBACK}:${port}`,
    '  default_backend app',
    'backend app',
    `  balance ${algorithm}`,
    ...ports.map((p, i) => `  server app${i} ${LOOPBACK}:${p}`),
    '',
  ];
  fs.writeFileSync(file, config.join('\n'));
  const p = spawnPinned(`haproxy ${algorithm}`, SERVER_CORE, 'haproxy', ['-f', file, '-db']);
  await waitForPort('haproxy', port, deathNote(p));
  return { port, process: p };
}

async function startNginx(dir: string, ports: number[]): Promise<{ port: number; process: Pinned }> {
  const port = await freePort();
  const file = path.join(dir, 'nginx-balance.conf');
  const config = [
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${path.join(dir, 'nginx.pid')};`,
    'error_log stderr warn;',
    'events { worker_connections 4000; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${path.join(dir, `nginx-${t}`)};`),
    `  upstream app { ${ports.map((p) => `server ${LOOPBACK}:${p};`).join(' ')} keepalive 256; }`,
    `  server { listen ${LOOPBACK}:${port}; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; } }`,
    '}',
    '',
  ];
  fs.writeFileSync(file, config.join('\n'));
  const p = spawnPinned('nginx', SERVER_CORE, 'nginx', ['-p', dir, '-c', file, '-g', 'daemon off;']);
  await waitForPort('nginx', port, deathNote(p));
  return { port, process: p };
}

if (require.main === module) {
  installCleanupHandlers();
  runBalanceBench()
    .then(({ table }) => process.stdout.write(table))
    .catch(async (err: unknown) => {
      process.stderr.write(`balance bench: ${err instanceof Error ? err.message : String(err)}\n`);
      await stopAll();
      process.exit(1);
    });
}
