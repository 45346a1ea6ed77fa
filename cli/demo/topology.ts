// What the demo runs and where: four workloads on 127.0.0.1, each app with its own weft-proxy, the ports they
// listen on, the endpoints file the controller serves to the proxies, and each process's flags and env.
import { stringify } from 'yaml';
import { HostPort, formatHostPort } from '../../common/address';
import { CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICES, controlPlaneIdentityName, ENV, identityName } from '../../common/contract';
import { nodeArgsFor } from '../../common/entrypoint';
import type { DemoPki } from './pki';
import { ChildSpec } from './supervisor';

/** Every workload's namespace; its service account is named after the workload. */
export const DEMO_NAMESPACE = 'demo';
/** Where every process of the demo listens. */
export const DEMO_HOST = '127.0.0.1';

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
const CONTROLLER_LISTENERS = 4;
/** Prometheus, or the demo's own series of the proxies' metrics (views.ts). */
const VIEWS_LISTENERS = 1;

const DASHBOARD_LISTENERS = 1;

/** How many ports the demo listens on: one per app, four per proxy, four for the controller, one for views, one for the dashboard. */
export const PORTS_NEEDED =
  Object.keys(SERVICE_PORTS).length + START_ORDER.length * PROXY_LISTENERS + CONTROLLER_LISTENERS + VIEWS_LISTENERS + DASHBOARD_LISTENERS;

export function authorityOf(name: WorkloadName): string {
  return `${name}.${DEMO_NAMESPACE}.svc.cluster.local:${SERVICE_PORTS[name]}`;
}

/** The name in a workload's certificate: what peers verify, and what metrics call it (server_id / client_id). */
export function identityOf(name: WorkloadName): string {
  return identityName(name, DEMO_NAMESPACE);
}

/** Hands out listen ports: spare ones (ports.ts), or consecutive ones from `--base-port`. */
export type PortSource = () => Promise<number>;

export function consecutivePorts(base: number): PortSource {
  let next = base;
  return async () => next++;
}

async function loopbackAddr(nextPort: PortSource): Promise<HostPort> {
  return { host: DEMO_HOST, port: await nextPort() };
}

export async function planTopology(nextPort: PortSource): Promise<Topology> {
  const addr = () => loopbackAddr(nextPort);
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

/**
 * The controller in local mode: it serves the endpoints file to every proxy over the destination API, and
 * signs each proxy's certificate for the service account its token names. Both over TLS, as in a cluster:
 * its destination role gets its certificate from its identity role with a token of its own.
 */
export interface ControllerAddrs {
  identity: HostPort;
  destination: HostPort;
  admin: HostPort;
  /** The tap service's HTTP API, where `weft tap` and the dashboard's tap view connect. */
  tap: HostPort;
}

export async function planController(nextPort: PortSource): Promise<ControllerAddrs> {
  const addr = () => loopbackAddr(nextPort);
  return { identity: await addr(), destination: await addr(), admin: await addr(), tap: await addr() };
}

/**
 * books carries objectives that its failing book (a tenth of the load) burns: 10x its budget, so the
 * dashboard's SLO panel shows a one-day budget going down by the minute.
 */
export const BOOKS_SLO = { 'success-rate': '99', latency: '300ms@99', window: '1d' };

/** The service account the controller's destination role proves itself as. */
export const DESTINATION_ACCOUNT = { serviceAccount: CONTROL_PLANE_SERVICES.destination.serviceAccount, namespace: CONTROL_PLANE_NAMESPACE };

/** The service account the controller's tap role proves itself as: the only identity the proxies' tap ports serve. */
export const TAP_ACCOUNT = { serviceAccount: CONTROL_PLANE_SERVICES.tap.serviceAccount, namespace: CONTROL_PLANE_NAMESPACE };

/** The token files that prove DESTINATION_ACCOUNT and TAP_ACCOUNT to the identity role. */
export interface ControllerTokens {
  destination: string;
  tap: string;
}

export function controllerSpec(controller: ControllerAddrs, endpointsFile: string, pki: DemoPki, tokens: ControllerTokens): ChildSpec {
  const flags = {
    '--cluster-file': endpointsFile,
    '--issuer-dir': pki.issuerDir,
    '--trust-anchors': pki.trustAnchorsFile,
    '--token-secret-file': pki.tokenSecretFile,
    '--identity-token-file': tokens.destination,
    // Given, `all` runs the tap role too: it reaches the proxies' tap ports named in the file's `pods:`.
    '--tap-token-file': tokens.tap,
    '--tap-addr': formatHostPort(controller.tap),
    '--identity-addr': formatHostPort(controller.identity),
    '--destination-addr': formatHostPort(controller.destination),
    '--admin-addr': formatHostPort(controller.admin),
  };
  return { name: 'controller', args: [...nodeArgsFor('controller/main'), 'all', ...Object.entries(flags).flat()] };
}

/**
 * The local endpoints file (CONTRACT.md): each service's authority → its proxy's inbound, reached over mTLS;
 * and each workload's pod with its proxy's tap address, for the controller's tap role.
 */
export function endpointsFileText(topology: Topology): string {
  const services = START_ORDER.map((name) => topology[name])
    .filter((w) => w.authority !== undefined)
    .map((w) => ({
      authority: w.authority,
      endpoints: [
        {
          addr: formatHostPort(w.proxy.inbound),
          identity: identityOf(w.name),
          protocol: 'h2',
          labels: { namespace: DEMO_NAMESPACE, service: w.name, pod: podOf(w.name) },
        },
      ],
      ...(w.name === 'books' ? { slo: BOOKS_SLO } : {}),
    }));
  const pods = START_ORDER.map((name) => ({
    name: podOf(name),
    namespace: DEMO_NAMESPACE,
    workload: `deployment/${name}`,
    tap: formatHostPort(topology[name].proxy.tap),
    identity: identityOf(name),
  }));
  return stringify({ services, pods });
}

/** Each workload runs one pod; metrics, the endpoints file and tap all call it this. */
export function podOf(name: WorkloadName): string {
  return `${name}-0`;
}

export function proxyName(name: WorkloadName): string {
  return `${name}-proxy`;
}

/** `tokenFile` proves the workload's service account to the controller's identity service. */
export function proxySpec(w: Workload, controller: ControllerAddrs, pki: DemoPki, tokenFile: string): ChildSpec {
  const env: Record<string, string> = {
    [ENV.outboundListenAddr]: formatHostPort(w.proxy.outbound),
    [ENV.inboundListenAddr]: formatHostPort(w.proxy.inbound),
    [ENV.adminListenAddr]: formatHostPort(w.proxy.admin),
    [ENV.tapListenAddr]: formatHostPort(w.proxy.tap),
    [ENV.destinationSvcAddr]: formatHostPort(controller.destination),
    // What the controller's certificates must carry, as the injector sets them in a cluster.
    [ENV.destinationSvcName]: controlPlaneIdentityName('destination'),
    [ENV.destinationContext]: JSON.stringify({ ns: DEMO_NAMESPACE }),
    // Explicit, so that an IDENTITY_DISABLED left in the user's environment cannot turn the demo's mTLS off.
    [ENV.identityDisabled]: 'false',
    [ENV.identitySvcAddr]: formatHostPort(controller.identity),
    [ENV.identitySvcName]: controlPlaneIdentityName('identity'),
    [ENV.identityTokenFile]: tokenFile,
    [ENV.identityLocalName]: identityOf(w.name),
    [ENV.identityTrustAnchors]: pki.trustAnchorsPem,
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
