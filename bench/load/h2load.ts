// h2 and gRPC unary saturation with h2load over cleartext h2 (prior knowledge).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GRPC_REQUEST_BODY } from '../backends/hello-h2';
import { LOOPBACK } from '../net';
import { LOAD_CORE, runPinned } from '../processes';
import type { SaturationResult } from './wrk';

export interface H2loadOptions {
  port: number;
  authority: string;
  grpc: boolean;
  clients: number;
  streamsPerClient: number;
  durationS: number;
  /** Where the gRPC request body file goes. */
  dir: string;
}

export async function runH2load(o: H2loadOptions): Promise<SaturationResult> {
  const args = [`-c${o.clients}`, `-m${o.streamsPerClient}`, `-D${o.durationS}`, '-H', `:authority: ${o.authority}`];
  if (o.grpc) {
    const body = path.join(o.dir, 'grpc-request.bin');
    fs.writeFileSync(body, GRPC_REQUEST_BODY);
    args.push('-d', body, '-H', 'content-type: application/grpc', '-H', 'te: trailers');
  }
  const url = `http://${LOOPBACK}:${o.port}${o.grpc ? '/bench.Hello/Say' : '/'}`;
  const run = await runPinned('h2load', LOAD_CORE, 'h2load', [...args, url], (o.durationS + 10) * 1000);
  const out = run.stdout;
  const rate = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out);
  const counts = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded/.exec(out);
  const status2xx = /status codes: (\d+) 2xx/.exec(out);
  if (run.code !== 0 || !rate || !counts || !status2xx) throw new Error(`h2load failed (exit ${run.code}): ${run.stderr || out}`);
  const total = Number(counts[1]);
  return { requestsPerSecond: Number(rate[1]), requests: total, failed: total - Math.min(Number(counts[2]), Number(status2xx[1])) };
}
