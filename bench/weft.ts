// Starts weft-proxy from dist/ (never tsx: the bench measures the built code) on the server core, configured
// only through its environment, with routes in a local endpoints file. Identity is disabled: the bench has no
// control plane, so proxy-to-proxy traffic is plaintext h2.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENV } from '../common/contract';
import { nodeArgsFor } from '../common/entrypoint';
import { LOOPBACK, freePort, waitForHttp200 } from './net';
import { Pinned, SERVER_CORE, deathNote, spawnPinned, stopProcess } from './processes';
import type { ForwardedProtocol } from './protocols';

/** The authority clients send (Host / :authority); proxies route it, HAProxy and nginx ignore it. */
export const BENCH_AUTHORITY = 'bench.local:80';

export interface WeftProxy {
  outboundPort: number;
  inboundPort: number;
  process: Pinned;
}

export interface WeftChain {
  /** Where the client connects. */
  port: number;
  proxies: WeftProxy[];
  stop(): Promise<void>;
}

interface Route {
  port: number;
  /** The endpoint is another weft proxy's inbound: HTTP travels to it over h2. */
  peerProxy: boolean;
  /** The peer's identity: originate mTLS to it (bench/mtls.ts). */
  identity?: string;
}

let proxyCount = 0;

export async function startWeftProxy(
  dir: string,
  appPort: number,
  route: Route | undefined,
  opaqueAppPort: boolean,
  nodeFlags: string[] = [],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<WeftProxy> {
  const name = `weft-proxy-${++proxyCount}`;
  const [outboundPort, inboundPort, adminPort, tapPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const endpointsFile = path.join(dir, `${name}-endpoints.json`);
  const services = route
    ? [{ authority: BENCH_AUTHORITY, endpoints: [{ addr: `${LOOPBACK}:${route.port}`, ...(route.peerProxy ? { protocol: 'h2' } : {}), ...(route.identity ? { identity: route.identity } : {}) }] }]
    : [];
  fs.writeFileSync(endpointsFile, JSON.stringify({ services }, null, 2));
  const env: NodeJS.ProcessEnv = {
    [ENV.outboundListenAddr]: `${LOOPBACK}:${outboundPort}`,
    [ENV.inboundListenAddr]: `${LOOPBACK}:${inboundPort}`,
    [ENV.adminListenAddr]: `${LOOPBACK}:${adminPort}`,
    [ENV.tapListenAddr]: `${LOOPBACK}:${tapPort}`,
    [ENV.identityDisabled]: 'true',
    [ENV.destinationFile]: endpointsFile,
    [ENV.inboundAppAddr]: `${LOOPBACK}:${appPort}`,
    [ENV.log]: 'warn',
    // Stopping between scenarios must not wait out the default 30 s drain.
    [ENV.shutdownGracePeriod]: '1s',
    ...(opaqueAppPort ? { [ENV.inboundOpaquePorts]: String(appPort) } : {}),
    ...extraEnv,
  };
  const args = nodeArgsFor('proxy/main');
  const entry = args[args.length - 1];
  if (!fs.existsSync(entry)) throw new Error(`weft-proxy is not built (${entry} is missing): run npm run build`);
  const p = spawnPinned(name, SERVER_CORE, process.execPath, [...nodeFlags, ...args], env);
  try {
    await waitForHttp200(name, `http://${LOOPBACK}:${adminPort}/ready`, deathNote(p));
  } catch (err) {
    await stopProcess(p);
    throw err;
  }
  return { outboundPort, inboundPort, process: p };
}

function chain(port: number, proxies: WeftProxy[]): WeftChain {
  return { port, proxies, stop: async () => void (await Promise.all(proxies.map((x) => stopProcess(x.process)))) };
}

/**
 * client → weft outbound → backend (HTTP), or client → weft inbound → backend (opaque TCP).
 * `nodeFlags` go to node before the proxy's entry point (e.g. --cpu-prof).
 */
export async function startWeftOneHop(dir: string, protocol: ForwardedProtocol, backendPort: number, nodeFlags: string[] = []): Promise<WeftChain> {
  if (protocol === 'tcp') {
    const proxy = await startWeftProxy(dir, backendPort, undefined, true, nodeFlags);
    return chain(proxy.inboundPort, [proxy]);
  }
  const proxy = await startWeftProxy(dir, backendPort, { port: backendPort, peerProxy: false }, false, nodeFlags);
  return chain(proxy.outboundPort, [proxy]);
}

/** Why weft cannot carry `protocol` over two hops here, or undefined when it can. */
export function weftTwoHopsUnsupported(protocol: ForwardedProtocol): string | undefined {
  return protocol === 'tcp'
    ? 'outbound opaque TCP routes by original destination, which needs iptables (see test/e2e)'
    : undefined;
}

/** client → weft A outbound → (h2) → weft B inbound → backend. */
export async function startWeftTwoHops(dir: string, protocol: ForwardedProtocol, backendPort: number): Promise<WeftChain> {
  const unsupported = weftTwoHopsUnsupported(protocol);
  if (unsupported) throw new Error(unsupported);
  const server = await startWeftProxy(dir, backendPort, undefined, false);
  try {
    const client = await startWeftProxy(dir, backendPort, { port: server.inboundPort, peerProxy: true }, false);
    return chain(client.outboundPort, [client, server]);
  } catch (err) {
    await stopProcess(server.process);
    throw err;
  }
}
