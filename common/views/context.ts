// Where views find the mesh while `weft demo` runs: the demo writes this file on start and removes it on exit,
// and `weft stat`, `edges`, `top`, `tap`, `identity`, `diagnostics` and the dashboard read it when no address is
// given. $XDG_RUNTIME_DIR/weft/context.json (a per-user, in-memory directory), else ~/.config/weft/.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Labels } from './source';

export const CONTEXT_ENV = 'WEFT_CONTEXT';

export interface ContextProxy {
  /** The proxy's admin address, host:port. */
  admin: string;
  /** namespace, deployment, pod. */
  labels: Labels;
}

export interface ViewsContext {
  /** Who wrote it, to tell a stale file (its writer gone) from a live one. */
  pid: number;
  namespace: string;
  /** Set when Prometheus scrapes the proxies; otherwise views read `snapshotsUrl`, or the proxies themselves. */
  prometheusUrl?: string;
  /** The writer's own series of the proxies' metrics (common/views/snapshot-server.ts). */
  snapshotsUrl?: string;
  proxies: ContextProxy[];
  /** The tap service (weft-controller tap), host:port: where `weft tap` connects when given no address. */
  tapAddr?: string;
  /** The destination service, as proxies reach it: for `weft diagnostics endpoints`. */
  destination?: { addr: string; serverName: string; trustAnchorsFile: string; contextToken: string };
}

/** The file: $WEFT_CONTEXT when set, else per user under $XDG_RUNTIME_DIR or ~/.config. */
export function contextFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env[CONTEXT_ENV]) return env[CONTEXT_ENV];
  const base = env.XDG_RUNTIME_DIR || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'weft', 'context.json');
}

export async function writeContext(file: string, context: ViewsContext): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.writeFile(`${file}.tmp`, JSON.stringify(context, null, 2), { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);
}

/** The context in force, or undefined when there is none or its writer is gone. */
export async function readContext(file: string): Promise<ViewsContext | undefined> {
  let context: ViewsContext;
  try {
    context = JSON.parse(await fs.readFile(file, 'utf8')) as ViewsContext;
  } catch {
    return undefined;
  }
  return isRunning(context.pid) ? context : undefined;
}

/** Removes the file if it is still this writer's (a second demo may have replaced it). */
export async function removeContext(file: string, pid = process.pid): Promise<void> {
  try {
    const context = JSON.parse(await fs.readFile(file, 'utf8')) as ViewsContext;
    if (context.pid === pid) await fs.rm(file, { force: true });
  } catch {
    // Gone already, or not ours to judge: leave it.
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
