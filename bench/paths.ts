// The five ways a request can reach a backend in this bench, opened one at a time so that only the path being
// measured runs next to the backend on the server core.
import { startHaproxy } from './peers/haproxy';
import { nginxUnsupported, startNginx } from './peers/nginx';
import { Pinned, stopProcess } from './processes';
import type { ForwardedProtocol } from './protocols';
import { startWeftOneHop, startWeftTwoHops, weftTwoHopsUnsupported } from './weft';

export const PATH_NAMES = ['direct', 'weft 1 hop', 'weft 2 hops', 'haproxy', 'nginx'] as const;
export type PathName = (typeof PATH_NAMES)[number];
export const WEFT_PATHS: readonly PathName[] = ['weft 1 hop', 'weft 2 hops'];

export interface OpenPath {
  name: PathName;
  /** Where the load generator connects. */
  port: number;
  /** The processes between client and backend, whose CPU and memory are reported (none for direct). */
  proxies: Pinned[];
  close(): Promise<void>;
}

/** Why `name` cannot carry `protocol` on this machine, or undefined when it can. */
export function pathUnsupported(name: PathName, protocol: ForwardedProtocol): string | undefined {
  if (name === 'nginx') return nginxUnsupported(protocol);
  if (name === 'weft 2 hops') return weftTwoHopsUnsupported(protocol);
  return undefined;
}

export async function openPath(name: PathName, protocol: ForwardedProtocol, backendPort: number, dir: string): Promise<OpenPath> {
  switch (name) {
    case 'direct':
      return { name, port: backendPort, proxies: [], close: async () => undefined };
    case 'haproxy':
    case 'nginx': {
      const peer = await (name === 'haproxy' ? startHaproxy : startNginx)(dir, protocol, backendPort);
      return { name, port: peer.port, proxies: [peer.process], close: () => stopProcess(peer.process) };
    }
    case 'weft 1 hop':
    case 'weft 2 hops': {
      const weft = await (name === 'weft 1 hop' ? startWeftOneHop : startWeftTwoHops)(dir, protocol, backendPort);
      return { name, port: weft.port, proxies: weft.proxies.map((p) => p.process), close: () => weft.stop() };
    }
  }
}
