// Every process the bench starts goes through here, pinned to a core, so that one place can kill them all
// at the end — also on an error, Ctrl-C or an uncaught exception. Each child leads its own process group so
// that killing the group also takes its forks (nginx's worker outlives a killed master otherwise).
import { ChildProcess, spawn } from 'node:child_process';
import * as os from 'node:os';

/** Servers (backends, proxies, HAProxy, nginx) share core 0; load generators and this orchestrator use core 1. */
export const SERVER_CORE = 0;
export const LOAD_CORE = os.cpus().length > 1 ? 1 : 0;

const OUTPUT_TAIL_CHARS = 4000;

export interface Pinned {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or null when killed by a signal). */
  exited: Promise<number | null>;
  stdout(): string;
  /** The last few KiB of stderr, for error messages. */
  stderrTail(): string;
}

const running = new Set<Pinned>();

export function spawnPinned(name: string, core: number, command: string, args: string[], env?: NodeJS.ProcessEnv): Pinned {
  const child = spawn('taskset', ['-c', String(core), command, ...args], {
    env: env ? { ...process.env, ...env } : process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command}): is it installed?`);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err = (err + chunk).slice(-OUTPUT_TAIL_CHARS)));
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('exit', (code) => resolve(code));
  });
  const pinned: Pinned = { name, pid: child.pid, child, exited, stdout: () => out, stderrTail: () => err.trim() };
  running.add(pinned);
  void exited.then(() => running.delete(pinned));
  return pinned;
}

/** For readiness polls: undefined while `p` runs, else how it ended and what it said last. */
export function deathNote(p: Pinned): () => string | undefined {
  return () => {
    const { exitCode, signalCode } = p.child;
    if (exitCode === null && signalCode === null) return undefined;
    return `${exitCode ?? signalCode}: ${p.stderrTail() || p.stdout().trim() || '(no output)'}`;
  };
}

/** SIGTERM to the process group, SIGKILL after `graceMs`. */
export async function stopProcess(p: Pinned, graceMs = 2000): Promise<void> {
  if (!running.has(p)) return;
  signalGroup(p.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(p.pid, 'SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
  // The leader is gone; make sure nothing it forked lingers in its group.
  signalGroup(p.pid, 'SIGKILL');
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => stopProcess(p)));
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a load tool to completion, killed after `timeoutMs` so no load can outlive its budget. */
export async function runPinned(name: string, core: number, command: string, args: string[], timeoutMs: number): Promise<ToolResult> {
  const p = spawnPinned(name, core, command, args);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopProcess(p, 500);
  }, timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderrTail(), timedOut };
}

/** Last resort, synchronous: used from the `exit` handler where nothing asynchronous runs any more. */
function killAllNow(): void {
  for (const p of running) signalGroup(p.pid, 'SIGKILL');
}

export function installCleanupHandlers(): void {
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping every process it started\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
