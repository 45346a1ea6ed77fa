// The ways a request can reach a backend in this bench. Every path of a scenario is open at once (idle proxies
// cost the server core nothing) and load runs through one at a time. Scenarios compare the peer paths, unless
// they name their own (the tap scenario: one weft hop with tap closed, open, and without tap).
import { startHaproxy, startHaproxyTwoHops } from './peers/haproxy';
import { nginxUnsupported, startNginx } from './peers/nginx';
import { Pinned, stopProcess } from './processes';
import type { ForwardedProtocol } from './protocols';
import { type BenchTap, isTapPath, openTapPath, TAP_PATH_NAMES } from './tap';
import { ChainOptions, startWeftOneHop, startWeftTwoHops, weftTwoHopsUnsupported } from './weft';

export const PEER_PATHS = ['direct', 'weft 1 hop', 'weft 2 hops', 'weft 2 hops mTLS', 'haproxy', 'haproxy 2 hops', 'nginx'] as const;
export const PATH_NAMES = [...PEER_PATHS, ...TAP_PATH_NAMES] as const;
export type PathName = (typeof PATH_NAMES)[number];
export const WEFT_PATHS: readonly PathName[] = ['weft 1 hop', 'weft 2 hops', 'weft 2 hops mTLS'];

export interface OpenPath {
  name: PathName;
  /** Where the load generator connects. */
  port: number;
  /** The processes between client and backend, whose CPU and memory are reported (none for direct). */
  proxies: Pinned[];
  /** The tap stream open to the path's proxy, on the tap paths that open one. */
  tap?: BenchTap;
  close(): Promise<void>;
}

/** Why `name` cannot carry `protocol` on this machine, or undefined when it can. */
export function pathUnsupported(name: PathName, protocol: ForwardedProtocol): string | undefined {
  if (name === 'nginx') return nginxUnsupported(protocol);
  if (name === 'weft 2 hops' || name === 'weft 2 hops mTLS') return weftTwoHopsUnsupported(protocol);
  if (name === 'haproxy 2 hops' && protocol === 'tcp') return 'no two-hop opaque path through weft to compare it with';
  if (isTapPath(name) && protocol !== 'http1') return 'the tap paths carry HTTP/1.1 only';
  return undefined;
}

/** `weft` options apply to weft's paths (e.g. a CPU profile of each proxy). */
export async function openPath(name: PathName, protocol: ForwardedProtocol, backendPort: number, dir: string, weft: ChainOptions = {}): Promise<OpenPath> {
  switch (name) {
    case 'direct':
      return { name, port: backendPort, proxies: [], close: async () => undefined };
    case 'haproxy':
    case 'haproxy 2 hops': {
      const peer = await (name === 'haproxy' ? startHaproxy : startHaproxyTwoHops)(dir, protocol, backendPort);
      return { name, port: peer.port, proxies: peer.processes, close: async () => void (await Promise.all(peer.processes.map((p) => stopProcess(p)))) };
    }
    case 'nginx': {
      const peer = await startNginx(dir, protocol, backendPort);
      return { name, port: peer.port, proxies: [peer.process], close: () => stopProcess(peer.process) };
    }
    case 'weft 1 hop':
    case 'weft 2 hops':
    case 'weft 2 hops mTLS': {
      const chain =
        name === 'weft 1 hop' ? await startWeftOneHop(dir, protocol, backendPort, weft) : await startWeftTwoHops(dir, protocol, backendPort, name === 'weft 2 hops mTLS', weft);
      return { name, port: chain.port, proxies: chain.proxies.map((p) => p.process), close: () => chain.stop() };
    }
    default:
      if (protocol !== 'http1') throw new Error(pathUnsupported(name, protocol));
      return openTapPath(name, backendPort, dir, weft);
  }
}
