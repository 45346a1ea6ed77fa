// Starts a backend in its own process on the server core and learns its port from its first line.
import { nodeArgsFor } from '../../common/entrypoint';
import { Pinned, SERVER_CORE, deathNote, spawnPinned } from '../processes';
import type { BackendKind } from './main';

export interface Backend {
  kind: BackendKind;
  port: number;
  process: Pinned;
}

const START_TIMEOUT_MS = 10_000;

export async function startBackend(kind: BackendKind): Promise<Backend> {
  const p = spawnPinned(`backend ${kind}`, SERVER_CORE, process.execPath, [...nodeArgsFor('bench/backends/main'), kind]);
  const dead = deathNote(p);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const line = /^\{.*\}$/m.exec(p.stdout());
    if (line) return { kind, port: (JSON.parse(line[0]) as { port: number }).port, process: p };
    const death = dead();
    if (death !== undefined) throw new Error(`backend ${kind} exited at start-up: ${death}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`backend ${kind} printed no port within ${START_TIMEOUT_MS} ms`);
}
