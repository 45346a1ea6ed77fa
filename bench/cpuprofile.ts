// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) into the functions that spent the most time
// themselves, not counting their callees: where a proxy's CPU actually goes. Shares are of busy time.
import * as fs from 'node:fs';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** `name (file:line)`, with `(anonymous)` for unnamed functions. */
  location: string;
  selfMs: number;
  share: number;
}

/** Time the thread slept waiting for I/O: not CPU, so not counted in the shares. */
const IDLE = '(idle)';

/**
 * Only the last `lastUs` microseconds of the profile count: the proxy's start-up (module loading, compiling)
 * comes first in it and is not what a load measures.
 */
export function topSelfTime(file: string, count: number, lastUs: number): SelfTime[] {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  // Sample timestamps add up from the first delta; they end near endTime.
  const total = profile.timeDeltas.reduce((sum, d) => sum + d, 0);
  const from = total - lastUs;
  const locationOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? ` (${url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '')}:${lineNumber + 1})` : '';
    locationOf.set(node.id, `${functionName || '(anonymous)'}${where}`);
  }
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  let at = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from) return;
    const location = locationOf.get(id) ?? '(unknown)';
    if (location === IDLE) return;
    selfUs.set(location, (selfUs.get(location) ?? 0) + delta);
    totalUs += delta;
  });
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([location, us]) => ({ location, selfMs: us / 1000, share: totalUs > 0 ? us / totalUs : 0 }));
}

/** The top self-time functions as a markdown table. */
export function selfTimeTable(top: SelfTime[]): string {
  return [
    '| # | function (file:line) | self ms | share |',
    '| --- | --- | --- | --- |',
    ...top.map((t, i) => `| ${i + 1} | \`${t.location.replace(/\|/g, '\\|')}\` | ${t.selfMs.toFixed(0)} | ${(t.share * 100).toFixed(1)}% |`),
  ].join('\n');
}
