// Entry point of a backend process: `node dist/bench/backends/main.js <kind>`. Prints `{"port":N}` once it
// listens, so the orchestrator (which pins this process to the server core) knows where it is.
import { startBulkSender } from './bulk-sender';
import { startHelloH2 } from './hello-h2';
import { startHelloHttp1 } from './hello-http1';
import { startTcpEcho } from './tcp-echo';

export const BACKENDS = {
  'hello-http1': startHelloHttp1,
  'hello-h2': startHelloH2,
  'tcp-echo': startTcpEcho,
  'bulk-sender': startBulkSender,
} as const;

export type BackendKind = keyof typeof BACKENDS;

if (require.main === module) {
  const kind = process.argv[2] as BackendKind;
  const start = BACKENDS[kind];
  if (!start) {
    process.stderr.write(`bench backend: unknown kind ${JSON.stringify(kind)}; use one of ${Object.keys(BACKENDS).join(', ')}\n`);
    process.exit(2);
  }
  start().then(
    (port) => process.stdout.write(`${JSON.stringify({ port })}\n`),
    (err: unknown) => {
      process.stderr.write(`bench backend ${kind}: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
