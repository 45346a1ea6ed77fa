// Runs one scenario through every path: start its backend, open every path at once (idle proxies cost the
// server core nothing), let them settle, then take each step round-robin over the paths, `rounds` times, and
// keep the median of each value. A path that fails to open or to measure leaves its reason in the tables and
// the run goes on. The selection (bench/selection.ts) may narrow the paths and steps and the rounds.
import { startBackend } from './backends/start';
import { OpenPath, openPath, PathName, pathUnsupported, PEER_PATHS } from './paths';
import { processTree } from './proc-stats';
import { deathNote, stopProcess } from './processes';
import type { MeasureContext, Scenario, Table, Values } from './scenarios/types';
import type { Selection } from './selection';

/** Fresh processes finish start-up work (lazy initialisation, first GC) before idle memory is read. */
const SETTLE_MS = 1000;
/** Counts of failures add up over rounds; everything else is a median. */
const SUMMED_KEYS = new Set(['failed', 'errors', 'loadedFailed']);

export type Log = (line: string) => void;

function errorText(err: unknown): string {
  // Keep the last lines: a crashed process's own words come last, after Node's stack noise.
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 600 ? `…${text.slice(-600)}` : text;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** What each key took in the samples that measured it. */
function byKey(samples: Values[]): Map<string, number[]> {
  const keys = new Set(samples.flatMap((s) => Object.keys(s)));
  return new Map([...keys].map((key) => [key, samples.map((s) => s[key]).filter((v): v is number => v !== undefined && Number.isFinite(v))]));
}

function aggregate(samples: Values[]): Values {
  const result: Values = {};
  for (const [key, values] of byKey(samples)) {
    if (values.length > 0) result[key] = SUMMED_KEYS.has(key) ? values.reduce((a, b) => a + b, 0) : median(values);
  }
  return result;
}

/** Per key, max − min over the samples that have it, for keys measured more than once. */
function spreadOf(samples: Values[]): Values {
  const spread: Values = {};
  for (const [key, values] of byKey(samples)) {
    if (values.length > 1) spread[key] = Math.max(...values) - Math.min(...values);
  }
  return spread;
}

async function openAll(scenario: Scenario, backendPort: number, dir: string, notes: Map<PathName, string>, log: Log, selection: Selection): Promise<OpenPath[]> {
  const open: OpenPath[] = [];
  for (const name of scenario.paths ?? PEER_PATHS) {
    if (!selection.path(name)) {
      notes.set(name, 'not selected');
      continue;
    }
    const unsupported = pathUnsupported(name, scenario.protocol);
    if (unsupported) {
      notes.set(name, unsupported);
      continue;
    }
    const profileDir = selection.cpuProfileDir;
    const weft = profileDir ? { cpuProfile: { dir: profileDir, name: `${scenario.id}-${name.replace(/\W+/g, '-')}` } } : {};
    try {
      open.push(await openPath(name, scenario.protocol, backendPort, dir, weft));
    } catch (err) {
      notes.set(name, errorText(err));
      log(`${scenario.name} / ${name}: could not start: ${errorText(err)}`);
    }
  }
  return open;
}

/** Every path gets the same warm-up, HAProxy and nginx too (they have no JIT, so it changes nothing for them). */
async function warmUp(scenario: Scenario, open: OpenPath[], backendPids: number[], dir: string, log: Log): Promise<void> {
  for (const path of open) {
    try {
      await scenario.warmUp!({ path, backendPids, dir, note: () => undefined });
    } catch (err) {
      log(`${scenario.name} / ${path.name}: warm-up failed: ${errorText(err)}`);
    }
  }
  log(`${scenario.name}: warm-up done`);
}

export async function runScenario(scenario: Scenario, dir: string, log: Log, selection: Selection): Promise<Table[]> {
  const notes = new Map<PathName, string>(); // why a path is missing from every table
  // Keyed by `${tableId}\n${path}`: what each measurement gave, and what went wrong in it.
  const samples = new Map<string, Values[]>();
  const stepNotes = new Map<string, string>();
  const backend = await startBackend(scenario.backend);
  let open: OpenPath[] = [];
  try {
    open = await openAll(scenario, backend.port, dir, notes, log, selection);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const backendPids = processTree(backend.process.pid);
    const rounds = selection.rounds ?? scenario.rounds;
    let warm = !scenario.warmUp;
    for (const step of scenario.steps.filter((s) => selection.step(s.tableId))) {
      if (!warm && !step.beforeWarmUp) {
        await warmUp(scenario, open, backendPids, dir, log);
        warm = true;
      }
      const paths = open.filter((p) => !step.proxiesOnly || p.proxies.length > 0);
      for (let round = 0; round < (step.once ? 1 : rounds); round++) {
        for (const path of paths) {
          const noteKey = `${step.tableId}\n${path.name}`;
          const ctx: MeasureContext = { path, backendPids, dir, note: (text) => void (stepNotes.has(noteKey) || stepNotes.set(noteKey, text)) };
          try {
            const values = await step.run(ctx);
            samples.set(noteKey, [...(samples.get(noteKey) ?? []), values]);
          } catch (err) {
            stepNotes.set(noteKey, errorText(err));
            log(`${scenario.name} / ${path.name} / ${step.tableId}: ${errorText(err)}`);
          }
          // A proxy that exited under load explains every failure after it: say so first.
          const died = path.proxies.map((p) => [p.name, deathNote(p)()] as const).find(([, death]) => death !== undefined);
          if (died) stepNotes.set(noteKey, `${died[0]} exited: ${died[1]}`);
        }
      }
      log(`${scenario.name}: ${step.tableId} done`);
    }
  } finally {
    await Promise.all(open.map((p) => p.close()));
    await stopProcess(backend.process);
  }
  const tables: Table[] = scenario.tables.filter((spec) => selection.step(spec.id)).map((spec) => ({
    ...spec,
    rows: (scenario.paths ?? PEER_PATHS).map((name) => {
      const measured = samples.get(`${spec.id}\n${name}`);
      const note = notes.get(name) ?? stepNotes.get(`${spec.id}\n${name}`);
      return { path: name, values: measured ? aggregate(measured) : {}, ...(measured ? { spread: spreadOf(measured) } : {}), ...(note ? { note } : {}) };
    }),
  }));
  scenario.derive?.(tables);
  return tables;
}
