// CPU time and resident memory of a server under test, read from /proc: utime+stime from /proc/PID/stat and
// VmRSS from /proc/PID/status, summed over the process and everything it forked (nginx's worker, say).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

const CLOCK_TICKS_PER_SECOND = readClockTicks();

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Fields of /proc/PID/stat after the `(comm)` field, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `pid` and all of its live descendants. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** CPU seconds (user + system) consumed so far by these processes. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    // utime and stime are fields 14 and 15 of stat(5); index 0 here is field 3.
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

export function rssBytes(pids: readonly number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kib += Number(m[1]);
    } catch {
      // The process exited between listing and reading.
    }
  }
  return kib * 1024;
}

export interface UsageWindow {
  cpuSeconds: number;
  peakRssBytes: number;
}

/** Measures CPU used and peak RSS over a window, sampling RSS often enough to catch a load's peak. */
export class UsageSampler {
  private readonly startCpu: number;
  private peak: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: readonly number[],
    intervalMs = 200,
  ) {
    this.startCpu = cpuSeconds(pids);
    this.peak = rssBytes(pids);
    this.timer = setInterval(() => (this.peak = Math.max(this.peak, rssBytes(this.pids))), intervalMs);
  }

  stop(): UsageWindow {
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, rssBytes(this.pids));
    return { cpuSeconds: cpuSeconds(this.pids) - this.startCpu, peakRssBytes: this.peak };
  }
}
