// HAProxy as a comparison peer: one thread, keep-alive and connection reuse towards the backend, no logging.
// Two hops are two HAProxy processes with h2 between them (`server … proto h2` on the first one's backend,
// `bind … proto h2` on the second one's frontend), the reference for two meshed proxies; plaintext h2, since
// HAProxy between pods would carry no identity anyway.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOOPBACK, freePort, waitForPort } from '../net';
import { Pinned, SERVER_CORE, deathNote, spawnPinned, stopProcess } from '../processes';
import type { ForwardedProtocol } from '../protocols';

interface Hop {
  listenPort: number;
  /** The frontend speaks h2 (prior knowledge) to its clients. */
  bindH2: boolean;
  serverPort: number;
  /** The backend connection is h2 (prior knowledge). */
  serverH2: boolean;
}

export function haproxyConfig(protocol: ForwardedProtocol, hop: Hop): string {
  const http = protocol !== 'tcp';
  const h2 = (on: boolean) => (on && http ? ' proto h2' : '');
  return [
    'global',
    '  nbthread 1',
    '  maxconn 4000',
    'defaults',
    `  mode ${http ? 'http' : 'tcp'}`,
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    ...(http ? ['  option http-keep-alive', '  http-reuse always'] : []),
    'frontend bench',
    `  bind ${LOOPBACK}:${hop.listenPort}${h2(hop.bindH2)}`,
    '  default_backend app',
    'backend app',
    `  server app ${LOOPBACK}:${hop.serverPort}${h2(hop.serverH2)}`,
    '',
  ].join('\n');
}

async function startHop(dir: string, name: string, protocol: ForwardedProtocol, hop: Omit<Hop, 'listenPort'>): Promise<{ port: number; process: Pinned }> {
  const port = await freePort();
  const file = path.join(dir, `${name}-${protocol}.cfg`);
  fs.writeFileSync(file, haproxyConfig(protocol, { ...hop, listenPort: port }));
  const p = spawnPinned(name, SERVER_CORE, 'haproxy', ['-f', file, '-db']);
  await waitForPort(name, port, deathNote(p));
  return { port, process: p };
}

export async function startHaproxy(dir: string, protocol: ForwardedProtocol, backendPort: number): Promise<{ port: number; processes: Pinned[] }> {
  const h2 = protocol === 'h2';
  const hop = await startHop(dir, 'haproxy', protocol, { bindH2: h2, serverPort: backendPort, serverH2: h2 });
  return { port: hop.port, processes: [hop.process] };
}

/** client → HAProxy A → (h2) → HAProxy B → backend. */
export async function startHaproxyTwoHops(dir: string, protocol: ForwardedProtocol, backendPort: number): Promise<{ port: number; processes: Pinned[] }> {
  const h2 = protocol === 'h2';
  const second = await startHop(dir, 'haproxy-b', protocol, { bindH2: true, serverPort: backendPort, serverH2: h2 });
  try {
    const first = await startHop(dir, 'haproxy-a', protocol, { bindH2: h2, serverPort: second.port, serverH2: true });
    return { port: first.port, processes: [first.process, second.process] };
  } catch (err) {
    await stopProcess(second.process);
    throw err;
  }
}
