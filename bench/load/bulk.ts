// Bulk transfer: one HTTP/1.1 GET of a large body, timed by curl (C, so the client is not what limits MB/s).
import { LOOPBACK } from '../net';
import { LOAD_CORE, runPinned } from '../processes';

export interface BulkResult {
  bytes: number;
  seconds: number;
  megabytesPerSecond: number;
  /** The whole body arrived before the time limit. */
  complete: boolean;
}

export async function runBulk(port: number, authority: string, bytes: number, maxSeconds: number): Promise<BulkResult> {
  const args = ['-s', '-o', '/dev/null', '-H', `Host: ${authority}`, '--max-time', String(maxSeconds), '-w', '%{size_download} %{time_total} %{http_code}'];
  const run = await runPinned('curl', LOAD_CORE, 'curl', [...args, `http://${LOOPBACK}:${port}/?bytes=${bytes}`], (maxSeconds + 10) * 1000);
  const m = /^(\d+) ([\d.]+) (\d+)$/.exec(run.stdout.trim());
  // curl exits 28 when --max-time cut the transfer short: still a measurement, just not a complete one.
  if (!m || (run.code !== 0 && run.code !== 28)) throw new Error(`curl failed (exit ${run.code}): ${run.stderr || run.stdout}`);
  const received = Number(m[1]);
  const seconds = Number(m[2]);
  if (m[3] !== '200') throw new Error(`bulk GET answered ${m[3]} after ${received} bytes`);
  return { bytes: received, seconds, megabytesPerSecond: received / 1e6 / seconds, complete: received === bytes };
}
