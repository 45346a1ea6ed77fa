// What the demo runs and where: four workloads on 127.0.0.1, each app with its own weft-proxy, the ports they
// listen on, the endpoints file the proxies discover each other from, and each process's flags and env.
import * as net from 'node:net';
import { stringify } from 'yaml';
import { HostPort, formatHostPort } from '../../common/address';
import { ENV } from '../../common/contract';
import { nodeArgsFor } from '../../common/entrypoint';
import { ChildSpec } from './supervisor';

const DEMO_NAMESPACE = 'demo';
const HOST = '127.0.0.1';

export type WorkloadName = 'stock' | 'books' | 'web' | 'load';

interface ProxyAddrs {
  outbound: HostPort;
  inbound: HostPort;
  admin: HostPort;
  tap: HostPort;
}

export interface Workload {
  name: WorkloadName;
  /** What other workloads call it by; the load generator serves nothing, so it has none. */
  authority?: string;
  /** Where the app itself listens (absent for the load generator). */
  app?: HostPort;
  /** Not HTTP, and `GET 1\n` looks like the start of an HTTP/1 request: its proxy must not detect, only carry bytes. */
  opaque: boolean;
  proxy: ProxyAddrs;
}

export type Topology = Record<WorkloadName, Workload>;

/** In start order: a workload's dependencies come before it. */
export const START_ORDER: readonly WorkloadName[] = ['stock', 'books', 'web', 'load'];

const SERVICE_PORTS: Partial<Record<WorkloadName, number>> = { stock: 7000, books: 8080, web: 8080 };
const PROXY_LISTENERS = 4;
const CONTROLLER_LISTENERS = 2;

/** How many ports the demo listens on: one per app, four per proxy, two for the controller. */
export const PORTS_NEEDED = Object.keys(SERVICE_PORTS).length + START_ORDER.length * PROXY_LISTENERS + CONTROLLER_LISTENERS;

export function authorityOf(name: WorkloadName): string {
  return `${name}.${DEMO_NAMESPACE}.svc.cluster.local:${SERVICE_PORTS[name]}`;
}

/** Hands out listen ports: free ones the OS picks, or consecutive ones from `--base-port`. */
export type PortSource = () => Promise<number>;

export function consecutivePorts(base: number): PortSource {
  let next = base;
  return async () => next++;
}

// Listen on port 0 and give the port back. Another process could take it before our child binds it; the
// child then fails with EADDRINUSE and the demo says which one.
export const freePort: PortSource = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

export async function planTopology(nextPort: PortSource): Promise<Topology> {
  const addr = async (): Promise<HostPort> => ({ host: HOST, port: await nextPort() });
  const topology = {} as Topology;
  for (const name of START_ORDER) {
    const serves = SERVICE_PORTS[name] !== undefined;
    topology[name] = {
      name,
      authority: serves ? authorityOf(name) : undefined,
      app: serves ? await addr() : undefined,
      opaque: name === 'stock',
      proxy: { outbound: await addr(), inbound: await addr(), admin: await addr(), tap: await addr() },
    };
  }
  return topology;
}

/** The controller in local mode: it serves the endpoints file to every proxy over the destination API. */
export interface ControllerAddrs {
  destination: HostPort;
  admin: HostPort;
}

export async function planController(nextPort: PortSource): Promise<ControllerAddrs> {
  return { destination: { host: HOST, port: await nextPort() }, admin: { host: HOST, port: await nextPort() } };
}

export function controllerSpec(controller: ControllerAddrs, endpointsFile: string): ChildSpec {
  const flags = ['--cluster-file', endpointsFile, '--destination-addr', formatHostPort(controller.destination), '--admin-addr', formatHostPort(controller.admin)];
  return { name: 'controller', args: [...nodeArgsFor('controller/main'), 'destination', ...flags] };
}

/** The local endpoints file (CONTRACT.md): each service's authority → its proxy's inbound. */
export function endpointsFileText(topology: Topology): string {
  const services = START_ORDER.map((name) => topology[name])
    .filter((w) => w.authority !== undefined)
    .map((w) => ({
      authority: w.authority,
      endpoints: [
        {
          addr: formatHostPort(w.proxy.inbound),
          protocol: 'h2',
          labels: { namespace: DEMO_NAMESPACE, service: w.name, pod: `${w.name}-0` },
        },
      ],
    }));
  return stringify({ services });
}

export function proxyName(name: WorkloadName): string {
  return `${name}-proxy`;
}

export function proxySpec(w: Workload, destination: HostPort): ChildSpec {
  const env: Record<string, string> = {
    [ENV.outboundListenAddr]: formatHostPort(w.proxy.outbound),
    [ENV.inboundListenAddr]: formatHostPort(w.proxy.inbound),
    [ENV.adminListenAddr]: formatHostPort(w.proxy.admin),
    [ENV.tapListenAddr]: formatHostPort(w.proxy.tap),
    [ENV.destinationSvcAddr]: formatHostPort(destination),
    [ENV.destinationContext]: JSON.stringify({ ns: DEMO_NAMESPACE }),
    // mTLS between the demo's proxies comes with the local identity service.
    [ENV.identityDisabled]: 'true',
  };
  if (w.app) env[ENV.inboundAppAddr] = formatHostPort(w.app);
  if (w.app && w.opaque) env[ENV.inboundOpaquePorts] = String(w.app.port);
  return { name: proxyName(w.name), args: nodeArgsFor('proxy/main'), env };
}

export function appSpec(w: Workload, topology: Topology, rps: number): ChildSpec {
  const outbound = formatHostPort(w.proxy.outbound);
  const listen = w.app ? ['--listen', formatHostPort(w.app)] : [];
  const flags: Record<WorkloadName, string[]> = {
    stock: listen,
    books: [...listen, '--stock', outbound, '--stock-connect', topology.stock.authority!],
    web: [...listen, '--books', outbound, '--books-authority', topology.books.authority!],
    load: ['--target', `http://${topology.web.authority}`, '--proxy', outbound, '--rps', String(rps)],
  };
  return { name: w.name, args: [...nodeArgsFor(`cli/demo/${w.name}`), ...flags[w.name]] };
}
