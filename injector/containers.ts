// The containers and volumes the patch adds (CONTRACT.md "Injection"): the proxy `weft-proxy`, the init
// container `weft-init` that writes the iptables rules, and the identity volumes.
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { parseHostPort } from '../common/address';
import {
  ADMIN_PORT_NAME,
  AWAIT_SUBCOMMAND,
  END_ENTITY_DIR,
  END_ENTITY_VOLUME,
  ENV,
  identityName,
  INIT_CONTAINER,
  PROXY_ADMIN_ADDR,
  PROXY_COMMAND,
  PROXY_CONTAINER,
  PROXY_INBOUND_ADDR,
  PROXY_INIT_COMMAND,
  PROXY_OUTBOUND_ADDR,
  PROXY_PORT_NAME,
  PROXY_TAP_ADDR,
  PROXY_UID,
  TOKEN_AUDIENCE,
  TOKEN_DIR,
  TOKEN_EXPIRATION_SECONDS,
  TOKEN_FILE_NAME,
  TOKEN_VOLUME,
  XTABLES_LOCK_DIR,
  XTABLES_LOCK_VOLUME,
} from '../common/contract';
import type { InjectMode } from './eligibility';
import type { MeshConfig } from './mesh-config';
import type { PodConfig } from './pod-config';

const portOf = (addr: string): number => parseHostPort(addr)!.port;
export const PROXY_PORTS = {
  inbound: portOf(PROXY_INBOUND_ADDR),
  outbound: portOf(PROXY_OUTBOUND_ADDR),
  admin: portOf(PROXY_ADMIN_ADDR),
  tap: portOf(PROXY_TAP_ADDR),
} as const;
/** Every port of the pod's network namespace the proxy listens on: none of them is an app port. */
export const PROXY_OWN_PORTS: ReadonlySet<number> = new Set(Object.values(PROXY_PORTS));

/** How long `weft-proxy await` in the postStart hook waits for /ready before the kubelet sees the hook fail. */
export const AWAIT_TIMEOUT = '2m';
/** A native sidecar's startup probe: the app's containers start once /ready answers 200, within 2 minutes. */
const STARTUP_PROBE = { periodSeconds: 1, failureThreshold: 120, timeoutSeconds: 1 };

/** The pod, as the `$(…)` expansion of the proxy's env sees it (fieldRefs resolved by the kubelet). */
const POD_FIELDS: ReadonlyArray<[string, string]> = [
  ['_pod_name', 'metadata.name'],
  ['_pod_ns', 'metadata.namespace'],
  ['_pod_ip', 'status.podIP'],
  ['_pod_nodeName', 'spec.nodeName'],
  ['_pod_sa', 'spec.serviceAccountName'],
];

export interface ProxyContainerInput {
  mesh: MeshConfig;
  config: PodConfig;
  sidecar: 'native' | 'classic';
  /** The app's ports: WEFT_PROXY_INBOUND_PORTS. */
  inboundPorts: readonly number[];
}

export const proxyImage = (mesh: MeshConfig): string => `${mesh.proxy.image}:${mesh.proxy.version}`;

const RESTRICTED = {
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  seccompProfile: { type: 'RuntimeDefault' as const },
};

export function proxyContainer({ mesh, config, sidecar, inboundPorts }: ProxyContainerInput): IContainer {
  const adminProbe = (path: string) => ({ httpGet: { path, port: ADMIN_PORT_NAME } });
  const container: IContainer = {
    name: PROXY_CONTAINER,
    image: proxyImage(mesh),
    imagePullPolicy: 'IfNotPresent',
    command: [PROXY_COMMAND],
    env: proxyEnv(mesh, config, inboundPorts),
    ports: [
      { name: PROXY_PORT_NAME, containerPort: PROXY_PORTS.inbound, protocol: 'TCP' },
      { name: ADMIN_PORT_NAME, containerPort: PROXY_PORTS.admin, protocol: 'TCP' },
    ],
    livenessProbe: { ...adminProbe('/live'), initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 1 },
    readinessProbe: { ...adminProbe('/ready'), initialDelaySeconds: 2, periodSeconds: 10, timeoutSeconds: 1 },
    securityContext: { runAsUser: PROXY_UID, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, ...RESTRICTED },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [
      { name: END_ENTITY_VOLUME, mountPath: END_ENTITY_DIR },
      { name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true },
    ],
  };
  if (config.resources) container.resources = config.resources;
  if (sidecar === 'native') {
    container.restartPolicy = 'Always';
    container.startupProbe = { ...adminProbe('/ready'), ...STARTUP_PROBE };
    return container;
  }
  const lifecycle: NonNullable<IContainer['lifecycle']> = {};
  if (config.await) lifecycle.postStart = { exec: { command: [PROXY_COMMAND, AWAIT_SUBCOMMAND, '--timeout', AWAIT_TIMEOUT] } };
  if (config.waitBeforeExitSeconds) lifecycle.preStop = { exec: { command: ['sleep', String(config.waitBeforeExitSeconds)] } };
  if (lifecycle.postStart || lifecycle.preStop) container.lifecycle = lifecycle;
  return container;
}

function proxyEnv(mesh: MeshConfig, config: PodConfig, inboundPorts: readonly number[]): IEnvVar[] {
  // The fieldRefs come first: `$(…)` expands only variables defined earlier in the list.
  const env: IEnvVar[] = POD_FIELDS.map(([name, fieldPath]) => ({ name, valueFrom: { fieldRef: { fieldPath } } }));
  const set = (name: string, value: string) => env.push({ name, value });
  set(ENV.log, config.logLevel ?? mesh.proxy.logLevel);
  set(ENV.logFormat, mesh.proxy.logFormat);
  set(ENV.outboundListenAddr, PROXY_OUTBOUND_ADDR);
  set(ENV.inboundListenAddr, PROXY_INBOUND_ADDR);
  set(ENV.adminListenAddr, PROXY_ADMIN_ADDR);
  set(ENV.tapListenAddr, PROXY_TAP_ADDR);
  if (inboundPorts.length > 0) set(ENV.inboundPorts, inboundPorts.join(','));
  if (config.opaquePorts) set(ENV.inboundOpaquePorts, config.opaquePorts);
  set(ENV.destinationSvcAddr, mesh.destination.addr);
  set(ENV.destinationSvcName, mesh.destination.name);
  set(ENV.destinationContext, '{"ns":"$(_pod_ns)","nodeName":"$(_pod_nodeName)","pod":"$(_pod_name)"}');
  set(ENV.identitySvcAddr, mesh.identity.addr);
  set(ENV.identitySvcName, mesh.identity.name);
  set(ENV.identityDir, END_ENTITY_DIR);
  set(ENV.identityTokenFile, `${TOKEN_DIR}/${TOKEN_FILE_NAME}`);
  set(ENV.identityLocalName, identityName('$(_pod_sa)', '$(_pod_ns)', mesh.trustDomain, mesh.controlPlaneNamespace));
  set(ENV.identityTrustAnchors, mesh.trustAnchorsPem);
  return env;
}

/** Every inbound port: an ingress's clients reach it directly, and it routes by Host through its outbound. */
const ALL_PORTS = '1-65535';

/** `weft-proxy-init`'s arguments, flag for flag as proxy/init/options.ts reads them. */
export function proxyInitArgs(config: PodConfig, mode: InjectMode): string[] {
  const inboundIgnored = mode === 'ingress' ? ALL_PORTS : [PROXY_PORTS.tap, PROXY_PORTS.admin, config.skipInboundPorts].filter(Boolean).join(',');
  const args = [
    '--incoming-proxy-port', String(PROXY_PORTS.inbound),
    '--outgoing-proxy-port', String(PROXY_PORTS.outbound),
    '--proxy-uid', String(PROXY_UID),
    '--inbound-ports-to-ignore', inboundIgnored,
  ];
  if (config.skipOutboundPorts) args.push('--outbound-ports-to-ignore', config.skipOutboundPorts);
  return args;
}

export function initContainer(mesh: MeshConfig, config: PodConfig, mode: InjectMode): IContainer {
  return {
    name: INIT_CONTAINER,
    image: proxyImage(mesh),
    imagePullPolicy: 'IfNotPresent',
    command: [PROXY_INIT_COMMAND],
    args: proxyInitArgs(config, mode),
    // Kubernetes gives added capabilities to root processes only (it sets no ambient capabilities), so the
    // rules are written as UID 0 with every other capability dropped, no escalation, a read-only root.
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      privileged: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      ...RESTRICTED,
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [{ name: XTABLES_LOCK_VOLUME, mountPath: XTABLES_LOCK_DIR }],
  };
}

export function identityVolumes(): IVolume[] {
  return [
    { name: END_ENTITY_VOLUME, emptyDir: { medium: 'Memory' } },
    {
      name: TOKEN_VOLUME,
      projected: {
        sources: [{ serviceAccountToken: { audience: TOKEN_AUDIENCE, expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: TOKEN_FILE_NAME } }],
      },
    },
    { name: XTABLES_LOCK_VOLUME, emptyDir: {} },
  ];
}
