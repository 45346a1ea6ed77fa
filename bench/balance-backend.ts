// A backend for the balancing benchmark (bench/balance.ts): answers every request after a fixed delay, the
// way a slowed pod would. `node balance-backend.js <delayMs>` prints `{"port":N}` once it listens.
import * as http from 'node:http';
import { listenOnLoopback } from './backends/listen';

const BODY = Buffer.from('hello world\n');
const HEADERS = { 'content-type': 'text/plain', 'content-length': BODY.length };

function startDelayed(delayMs: number): Promise<number> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
    setTimeout(() => {
      res.writeHead(200, HEADERS);
      res.end(BODY);
    }, delayMs);
  });
  return listenOnLoopback(server);
}

if (require.main === module) {
  const delayMs = Number(process.argv[2]);
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    process.stderr.write(`balance backend: the argument must be a delay in ms, got ${JSON.stringify(process.argv[2])}\n`);
    process.exit(2);
  }
  startDelayed(delayMs).then((port) => process.stdout.write(`${JSON.stringify({ port })}\n`));
}
