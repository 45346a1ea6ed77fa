// Runs the demo's processes: starts each one, prefixes its output with its name, reports one that dies while
// it should be running, and stops them all (SIGTERM, then SIGKILL after a bounded wait).
import { ChildProcess, spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { REPO_ROOT } from '../../common/entrypoint';

export interface ChildSpec {
  name: string;
  /** What to run; node itself by default. */
  command?: string;
  /** Arguments to the command: for node, e.g. nodeArgsFor('cli/demo/web') plus the app's flags. */
  args: string[];
  env?: Record<string, string>;
}

export type UnexpectedExit = (name: string, pid: number | undefined, how: string) => void;

export class Supervisor {
  private readonly running = new Map<ChildProcess, string>();
  private stopping = false;

  constructor(
    private readonly onUnexpectedExit: UnexpectedExit,
    private readonly log: NodeJS.WritableStream = process.stderr,
  ) {}

  start(spec: ChildSpec): number | undefined {
    const child = spawn(spec.command ?? process.execPath, spec.args, {
      // `--require tsx/cjs` (running from source) resolves from the working directory.
      cwd: REPO_ROOT,
      env: { ...process.env, ...spec.env },
      // stdin stays an open pipe: the sample apps stop when it closes, i.e. when the demo itself is gone.
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the demo, which then stops its children in order.
      detached: true,
    });
    this.running.set(child, spec.name);
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.log.write(`[${spec.name}] ${line}\n`));
    }
    child.once('error', (err) => this.exited(child, `could not start: ${err.message}`));
    child.once('exit', (code, signal) => this.exited(child, signal ? `was killed by ${signal}` : `exited with code ${code}`));
    return child.pid;
  }

  /** Stops the named processes (all of them without names); from here on no exit counts as unexpected. */
  async stop(graceMs: number, names?: readonly string[]): Promise<void> {
    this.stopping = true;
    const children = [...this.running].filter(([, name]) => !names || names.includes(name));
    await Promise.all(children.map(([child]) => stopChild(child, graceMs)));
  }

  private exited(child: ChildProcess, how: string): void {
    const name = this.running.get(child);
    if (name === undefined) return;
    this.running.delete(child);
    if (!this.stopping) this.onUnexpectedExit(name, child.pid, how);
  }
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.destroy();
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
  if (await Promise.race([exited.then(() => false), timedOut])) {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}
