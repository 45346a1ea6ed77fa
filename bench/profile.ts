// When weft misses a target, the report says where its CPU goes: weft (one hop) runs under node --cpu-prof
// while wrk saturates it with HTTP/1.1 hello-world requests, then the profile's top self-time functions are
// listed (start-up and warm-up left out). The .cpuprofile itself stays in the temp directory named in the report (open it in Chrome DevTools).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startBackend } from './backends/start';
import { selfTimeTable, topSelfTime, SelfTime } from './cpuprofile';
import { runWrk } from './load/wrk';
import { stopProcess } from './processes';
import { BENCH_AUTHORITY, startWeftOneHop } from './weft';

const TOP = 15;
const CONNECTIONS = 32;
const WARMUP_S = 1;

export interface ProfileReport {
  file: string;
  seconds: number;
  requestsPerSecond: number;
  top: SelfTime[];
}

export async function profileWeftSaturation(seconds: number): Promise<ProfileReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-profile-'));
  const backend = await startBackend('hello-http1');
  try {
    const weft = await startWeftOneHop(dir, 'http1', backend.port, { cpuProfile: { dir, name: 'saturation' } });
    let requestsPerSecond: number;
    let loadStarted = 0;
    try {
      await runWrk(weft.port, BENCH_AUTHORITY, CONNECTIONS, WARMUP_S);
      loadStarted = Date.now();
      requestsPerSecond = (await runWrk(weft.port, BENCH_AUTHORITY, CONNECTIONS, seconds)).requestsPerSecond;
    } finally {
      // The profile is written when the proxy exits on its own after SIGTERM, so give it time to.
      await weft.stop();
    }
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`weft-proxy wrote no .cpuprofile into ${dir}: did it exit on SIGTERM?`);
    // From the measured load's start to the proxy's exit: leaves out start-up and warm-up.
    const windowUs = (Date.now() - loadStarted) * 1000;
    return { file: path.join(dir, file), seconds, requestsPerSecond, top: topSelfTime(path.join(dir, file), TOP, windowUs) };
  } finally {
    await stopProcess(backend.process);
  }
}

/**
 * BENCH_CPU_PROF: one section per profile its proxies wrote (bench/selection.ts), with the top self-time
 * functions over the proxy's whole life (start-up is a fraction of a second of it).
 */
export function summarizeProfiles(dir: string): { title: string; markdown: string }[] {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort() : [];
  return files.map((file) => {
    const top = topSelfTime(path.join(dir, file), TOP, Number.POSITIVE_INFINITY);
    return {
      title: `CPU profile ${file}`,
      markdown: [
        `\`${path.join(dir, file)}\` (open it in Chrome DevTools); shares of busy (non-idle) time.`,
        '',
        selfTimeTable(top),
      ].join('\n'),
    };
  });
}
