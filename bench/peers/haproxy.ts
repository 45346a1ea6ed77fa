// HAProxy as a comparison peer: one thread, keep-alive and connection reuse towards the backend, no logging.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOOPBACK, freePort, waitForPort } from '../net';
import { Pinned, SERVER_CORE, deathNote, spawnPinned } from '../processes';
import type { ForwardedProtocol } from '../protocols';

export function haproxyConfig(protocol: ForwardedProtocol, listenPort: number, backendPort: number): string {
  const h2 = protocol === 'h2' ? ' proto h2' : '';
  const http = protocol !== 'tcp';
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
    `  bind ${LOOPBACK}:${listenPort}${h2}`,
    '  default_backend app',
    'backend app',
    `  server app ${LOOPBACK}:${backendPort}${h2}`,
    '',
  ].join('\n');
}

export async function startHaproxy(dir: string, protocol: ForwardedProtocol, backendPort: number): Promise<{ port: number; process: Pinned }> {
  const port = await freePort();
  const file = path.join(dir, `haproxy-${protocol}.cfg`);
  fs.writeFileSync(file, haproxyConfig(protocol, port, backendPort));
  const p = spawnPinned('haproxy', SERVER_CORE, 'haproxy', ['-f', file, '-db']);
  await waitForPort('haproxy', port, deathNote(p));
  return { port, process: p };
}
