// The shell every sample app runs in: each app is its own process, started by the demo's supervisor (or by a
// test). Start-up errors are one line and exit 1; SIGTERM/SIGINT close the app and exit 0; and when the
// supervisor's stdin pipe closes (the demo itself was killed) the app stops too, so no sample app outlives it.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ADDRESS_FORM, HostPort, parseHostPort } from '../../common/address';

export interface RunningApp {
  close(): Promise<void>;
}

type Flags = Record<string, string | undefined>;

/** Parses `--name value` flags; every flag the app knows is a string. */
export function readFlags(argv: readonly string[], names: readonly string[]): Flags {
  const options = Object.fromEntries(names.map((name) => [name, { type: 'string' as const }]));
  return parseArgs({ args: [...argv], options, strict: true }).values as Flags;
}

export function addressFlag(flags: Flags, name: string): HostPort {
  const value = flags[name];
  const addr = value === undefined ? undefined : parseHostPort(value);
  if (!addr) throw new Error(`--${name} is required: ${ADDRESS_FORM}`);
  return addr;
}

export function runApp(name: string, start: (flags: string[]) => Promise<RunningApp>): void {
  const fail = (err: unknown) => {
    process.stderr.write(`${name}: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  };
  start(process.argv.slice(2)).then((app) => {
    let closing = false;
    const stop = () => {
      if (closing) return;
      closing = true;
      app.close().then(() => process.exit(0), fail);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (stdinIsPipe()) {
      process.stdin.on('close', stop).resume();
    }
  }, fail);
}

function stdinIsPipe(): boolean {
  try {
    const stat = fs.fstatSync(0);
    // child_process 'pipe' stdio is a socketpair; a shell pipe is a FIFO.
    return stat.isSocket() || stat.isFIFO();
  } catch {
    return false;
  }
}
