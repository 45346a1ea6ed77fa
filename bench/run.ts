// `npm run bench`: every scenario through every path (direct, weft one hop, weft two hops plaintext and mTLS,
// HAProxy one and two hops, nginx) in one run, then bench/results/latest.md and latest.json. Load runs through
// one path at a time; the other paths sit idle. BENCH_* variables narrow a run (bench/selection.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../common/entrypoint';
import { runBalanceBench } from './balance';
import { measureIssuanceRate } from './cert-issuance';
import { runDestinationBench } from './destination';
import { describeEnvironment } from './environment';
import { profileWeftSaturation, ProfileReport, summarizeProfiles } from './profile';
import { installCleanupHandlers, LOAD_CORE, SERVER_CORE, stopAll } from './processes';
import { BenchRun, writeResults } from './report';
import { bulkScenario } from './scenarios/bulk';
import { grpcScenario } from './scenarios/grpc';
import { http1Scenario } from './scenarios/http1';
import { tapScenario } from './scenarios/tap';
import { tcpScenario } from './scenarios/tcp';
import { runScenario } from './scenario-runner';
import { selectionFrom } from './selection';
import type { Scenario, Table } from './scenarios/types';
import { evaluateTargets } from './targets';

const SCENARIOS: Scenario[] = [http1Scenario, tapScenario, grpcScenario, tcpScenario, bulkScenario];
const ISSUANCE_MS = 3000;
const PROFILE_SECONDS = 8;

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The controller's signing rate (bench/cert-issuance.ts), run in this process, on the load core. */
function certIssuance(): BenchRun['extras'] {
  try {
    const { certsPerSecond } = measureIssuanceRate(ISSUANCE_MS);
    log(`certificate issuance: ${certsPerSecond} certs/s`);
    return [{ name: 'certificate issuance', value: certsPerSecond, unit: 'certs/s', method: `bench/cert-issuance.ts for ${ISSUANCE_MS / 1000} s, in the orchestrator on core ${LOAD_CORE}` }];
  } catch (err) {
    log(`certificate issuance: ${errorText(err)}`);
    return [];
  }
}

/** A bench that stands apart from the path scenarios; its failure is logged and the run goes on. */
async function separately<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
  log(`${name}: starting`);
  try {
    return await run();
  } catch (err) {
    log(`${name}: ${errorText(err)}`);
    return undefined;
  }
}

async function separateBenches(): Promise<Pick<BenchRun, 'extras' | 'sections'>> {
  const extras = certIssuance();
  const destination = await separately('destination fan-out', () => runDestinationBench({ log: (l) => log(`destination: ${l}`) }));
  if (destination) {
    const scale = `${destination.services} services, ${destination.endpoints} endpoints, ${destination.streams} Get streams, bench/destination.ts`;
    extras.push(
      { name: 'destination: EndpointSlice change → update on every stream, p99 (target ≤ 1 s)', value: destination.latencyMs.p99, unit: 'ms', method: scale },
      { name: 'destination: controller RSS with all streams open', value: destination.controllerRssMiB.withStreams, unit: 'MiB', method: scale },
    );
  }
  const balance = await separately('balancing', runBalanceBench);
  return { extras, sections: balance ? [{ title: 'Balancing: three backends, one 10× slower', markdown: balance.table }] : [] };
}

async function profileOnMiss(): Promise<ProfileReport | undefined> {
  log(`a target was missed: profiling weft under saturation for ${PROFILE_SECONDS} s`);
  try {
    return await profileWeftSaturation(PROFILE_SECONDS);
  } catch (err) {
    log(`profile: ${errorText(err)}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  installCleanupHandlers();
  const started = new Date();
  const selection = selectionFrom(process.env, SCENARIOS.map((s) => s.id));
  const environment = describeEnvironment();
  // This process only orchestrates and samples /proc, but it must stay off the server core.
  spawnSync('taskset', ['-a', '-cp', String(LOAD_CORE), String(process.pid)]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-'));
  try {
    const tables: Table[] = [];
    if (selection.cpuProfileDir) fs.mkdirSync(selection.cpuProfileDir, { recursive: true });
    for (const scenario of SCENARIOS.filter((s) => selection.scenario(s.id))) {
      log(`${scenario.name}: starting`);
      tables.push(...(await runScenario(scenario, dir, log, selection)));
    }
    const { extras, sections } = selection.separateBenches ? await separateBenches() : { extras: [], sections: [] };
    if (selection.cpuProfileDir) sections.push(...summarizeProfiles(selection.cpuProfileDir));
    const targets = evaluateTargets(tables);
    // A partial run profiles only when asked to (BENCH_CPU_PROF); the full run explains a miss itself.
    const profile = !selection.partial && targets.some((t) => t.met === false) ? await profileOnMiss() : undefined;
    environment['load average at end (1, 5, 15 min)'] = os.loadavg().map((l) => l.toFixed(2)).join(', ');
    const run: BenchRun = {
      startedAt: started.toISOString(),
      durationS: (Date.now() - started.getTime()) / 1000,
      environment,
      notes: [
        `Pinning: backends, weft-proxy, HAProxy and nginx on core ${SERVER_CORE}; load generators and the orchestrator on core ${LOAD_CORE}. So a proxy shares its core with the backend behind it, and "direct" is the backend alone on that core (the "Node hello world on one core" of the targets).`,
        'Fairness: HAProxy with nbthread 1 (two processes for two hops, h2 between them: `server … proto h2` / `bind … proto h2`), nginx with worker_processes 1, both keep-alive to the backend, no logging. weft 2 hops is plaintext h2 between the proxies (identity disabled); weft 2 hops mTLS is the mesh default: both proxies certified by an identity service in the orchestrator, TLS 1.3 h2 between them.',
        'Noise: other work shares this machine, so every measurement is short and repeated in rounds that alternate between the paths; tables show the median of the rounds (failures are summed). Compare the load averages under Environment.',
        'Added latency = this path minus the direct path, same rate, same run. CPU is user + system time from /proc/PID/stat of the proxy processes (both proxies for 2 hops); RSS is VmRSS from /proc/PID/status.',
      ],
      tables,
      targets,
      extras,
      sections,
      profile,
      ...(selection.partial ? { selection: selection.description } : {}),
    };
    const written = writeResults(path.join(REPO_ROOT, 'bench', 'results'), selection.partial ? 'quick' : 'latest', run);
    log(`wrote ${written.markdown} and ${written.json}`);
  } finally {
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (err: unknown) => {
  log(`error: ${errorText(err)}`);
  await stopAll();
  process.exit(1);
});
