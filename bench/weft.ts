// Starts weft-proxy from dist/ (never tsx: the bench measures the built code) on the server core, configured
// only through its environment, with routes in a local endpoints file. Identity is disabled unless a path asks
// for mTLS: then an identity service in the orchestrator (bench/identity.ts) certifies both proxies, and the hop
// between them is mTLS, as between meshed pods (HTTP/1.1 for HTTP/1 requests, h2 for gRPC: proxy/http/upstreams.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENV } from '../common/contract';
import { nodeArgsFor } from '../common/entrypoint';
import { BenchIdentity, startBenchIdentity } from './identity';
import { LOOPBACK, freePort, waitForHttp200 } from './net';
import { Pinned, SERVER_CORE, deathNote, spawnPinned, stopProcess } from './processes';
import type { ForwardedProtocol } from './protocols';

/** The authority clients send (Host / :authority); proxies route it, HAProxy and nginx ignore it. */
export const BENCH_AUTHORITY = 'bench.local:80';

export interface WeftProxy {
  outboundPort: number;
  inboundPort: number;
  /** /metrics, /ready. */
  adminPort: number;
  /** Served only when the proxy has an identity. */
  tapPort: number;
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
  /** The endpoint is another weft proxy's inbound (discovery's h2 hint). */
  peerProxy: boolean;
  /** The peer's identity: originate mTLS to it. */
  identity?: string;
}

let proxyCount = 0;

/** Which proxy of a path: the only one, or the client (outbound) and server (inbound) side of two hops. */
export type ProxyRole = 'proxy' | 'client' | 'server';

export interface ChainOptions {
  /** Each proxy runs under `node --cpu-prof` and writes `<dir>/<name>-<role>.cpuprofile` when it exits. */
  cpuProfile?: { dir: string; name: string };
}

function nodeFlags(options: ChainOptions, role: ProxyRole): string[] {
  const profile = options.cpuProfile;
  return profile ? ['--cpu-prof', `--cpu-prof-dir=${profile.dir}`, `--cpu-prof-name=${profile.name}-${role}.cpuprofile`] : [];
}

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
  return { outboundPort, inboundPort, adminPort, tapPort, process: p };
}

function chain(port: number, proxies: WeftProxy[], options: ChainOptions, after: () => Promise<void> = async () => undefined): WeftChain {
  // A proxy writes its CPU profile on its way out after SIGTERM: give it time to.
  const graceMs = options.cpuProfile ? 15_000 : 2_000;
  return {
    port,
    proxies,
    stop: async () => {
      await Promise.all(proxies.map((x) => stopProcess(x.process, graceMs)));
      await after();
    },
  };
}

/** client → weft outbound → backend (HTTP), or client → weft inbound → backend (opaque TCP). */
export async function startWeftOneHop(dir: string, protocol: ForwardedProtocol, backendPort: number, options: ChainOptions = {}): Promise<WeftChain> {
  if (protocol === 'tcp') {
    const proxy = await startWeftProxy(dir, backendPort, undefined, true, nodeFlags(options, 'proxy'));
    return chain(proxy.inboundPort, [proxy], options);
  }
  const proxy = await startWeftProxy(dir, backendPort, { port: backendPort, peerProxy: false }, false, nodeFlags(options, 'proxy'));
  return chain(proxy.outboundPort, [proxy], options);
}

/**
 * client → weft outbound → backend, the proxy certified by a bench identity service: the one hop of
 * `startWeftOneHop` (HTTP), with the tap port live. The backend has no identity, so no TLS is originated.
 */
export async function startWeftOneHopWithIdentity(dir: string, backendPort: number, options: ChainOptions = {}): Promise<WeftChain & { identity: BenchIdentity }> {
  const identity = await startBenchIdentity(dir);
  try {
    const proxy = await startWeftProxy(dir, backendPort, { port: backendPort, peerProxy: false }, false, nodeFlags(options, 'proxy'), identity.proxyEnv('proxy'));
    return { ...chain(proxy.outboundPort, [proxy], options, () => identity.close()), identity };
  } catch (err) {
    await identity.close();
    throw err;
  }
}

/** Why weft cannot carry `protocol` over two hops here, or undefined when it can. */
export function weftTwoHopsUnsupported(protocol: ForwardedProtocol): string | undefined {
  return protocol === 'tcp'
    ? 'outbound opaque TCP routes by original destination, which needs iptables (see test/e2e)'
    : undefined;
}

/**
 * client → weft A outbound → weft B inbound → backend (the hop speaks HTTP/1.1 for HTTP/1 requests, h2 for gRPC).
 * With `mtls`, the proxies hold certificates from a bench identity service and the hop is mTLS (the mesh's
 * default); else it is plaintext.
 */
export async function startWeftTwoHops(dir: string, protocol: ForwardedProtocol, backendPort: number, mtls: boolean, options: ChainOptions = {}): Promise<WeftChain> {
  const unsupported = weftTwoHopsUnsupported(protocol);
  if (unsupported) throw new Error(unsupported);
  const identity = mtls ? await startBenchIdentity(dir) : undefined;
  const started: WeftProxy[] = [];
  try {
    const server = await startWeftProxy(dir, backendPort, undefined, false, nodeFlags(options, 'server'), identity?.proxyEnv('server'));
    started.push(server);
    const route: Route = { port: server.inboundPort, peerProxy: true, identity: identity?.nameOf('server') };
    const client = await startWeftProxy(dir, backendPort, route, false, nodeFlags(options, 'client'), identity?.proxyEnv('client'));
    started.push(client);
    return chain(client.outboundPort, [client, server], options, async () => identity?.close());
  } catch (err) {
    await Promise.all(started.map((p) => stopProcess(p.process)));
    await identity?.close();
    throw err;
  }
}
