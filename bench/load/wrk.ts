// HTTP/1.1 saturation with wrk: as many requests as `connections` keep-alive connections can push.
import { LOAD_CORE, runPinned } from '../processes';
import { LOOPBACK } from '../net';

export interface SaturationResult {
  requestsPerSecond: number;
  requests: number;
  /** Non-2xx responses plus socket errors. */
  failed: number;
}

export async function runWrk(port: number, authority: string, connections: number, durationS: number): Promise<SaturationResult> {
  const args = ['-t1', `-c${connections}`, `-d${durationS}s`, '-H', `Host: ${authority}`, `http://${LOOPBACK}:${port}/`];
  const run = await runPinned('wrk', LOAD_CORE, 'wrk', args, (durationS + 10) * 1000);
  const out = run.stdout;
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (run.code !== 0 || !rate || !total) throw new Error(`wrk failed (exit ${run.code}): ${run.stderr || out}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { requestsPerSecond: Number(rate[1]), requests: Number(total[1]), failed: non2xx + errors };
}
