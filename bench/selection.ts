// What one `npm run bench` measures, from its environment. Unset, it is the full run that writes latest.md.
// Any of these makes it a partial run, written to quick.md / quick.json instead, so that checking one scenario
// never overwrites the full run's results:
//   BENCH_QUICK=1                 one round per step; no controller, balancing or destination benches
//   BENCH_SCENARIOS=http1,grpc    only these scenarios (http1, tap, grpc, tcp, bulk)
//   BENCH_PATHS='direct,weft 2 hops mTLS,haproxy 2 hops'   only these paths
//   BENCH_STEPS=http1-saturation  only the steps filling these tables (ids as in bench/scenarios/)
//   BENCH_CPU_PROF=DIR            every weft proxy runs under node --cpu-prof and writes
//                                 DIR/<scenario>-<path>-<role>.cpuprofile when the scenario ends (the report
//                                 lists each profile's top self-time functions)
import * as path from 'node:path';
import { PATH_NAMES, PathName } from './paths';

export interface Selection {
  /** True for a run with any of the variables above set. */
  partial: boolean;
  /** Rounds per step, or undefined for each scenario's own. */
  rounds?: number;
  /** Run the benches that stand apart from the path scenarios (certificate issuance, destination, balancing). */
  separateBenches: boolean;
  scenario(id: string): boolean;
  path(name: PathName): boolean;
  step(tableId: string): boolean;
  /** Where CPU profiles of weft's proxies go, when asked for. */
  cpuProfileDir?: string;
  /** What was asked for, for the report. */
  description: string[];
}

function list(value: string | undefined): Set<string> | undefined {
  const items = value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items && items.length > 0 ? new Set(items) : undefined;
}

export function selectionFrom(env: NodeJS.ProcessEnv, scenarioIds: readonly string[]): Selection {
  const quick = env.BENCH_QUICK === '1';
  const scenarios = list(env.BENCH_SCENARIOS);
  const paths = list(env.BENCH_PATHS);
  const steps = list(env.BENCH_STEPS);
  const cpuProfileDir = env.BENCH_CPU_PROF ? path.resolve(env.BENCH_CPU_PROF) : undefined;
  for (const id of scenarios ?? []) if (!scenarioIds.includes(id)) throw new Error(`BENCH_SCENARIOS: no scenario ${id}; there are ${scenarioIds.join(', ')}`);
  for (const name of paths ?? []) if (!(PATH_NAMES as readonly string[]).includes(name)) throw new Error(`BENCH_PATHS: no path ${name}; there are ${PATH_NAMES.join(', ')}`);
  const description = [
    ...(quick ? ['BENCH_QUICK=1: one round per step, no separate benches'] : []),
    ...(scenarios ? [`BENCH_SCENARIOS=${[...scenarios].join(',')}`] : []),
    ...(paths ? [`BENCH_PATHS=${[...paths].join(',')}`] : []),
    ...(steps ? [`BENCH_STEPS=${[...steps].join(',')}`] : []),
    ...(cpuProfileDir ? [`BENCH_CPU_PROF=${cpuProfileDir}`] : []),
  ];
  const filtered = scenarios !== undefined || paths !== undefined || steps !== undefined;
  return {
    partial: description.length > 0,
    rounds: quick ? 1 : undefined,
    separateBenches: !quick && !filtered,
    scenario: (id) => scenarios?.has(id) ?? true,
    path: (name) => paths?.has(name) ?? true,
    step: (tableId) => steps?.has(tableId) ?? true,
    cpuProfileDir,
    description,
  };
}
