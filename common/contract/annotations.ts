// Kubernetes annotations and labels (CONTRACT.md "Kubernetes").

export const CONTROL_PLANE_NAMESPACE = 'weft';
export const INJECT = 'weft.io/inject';
export const INJECT_VALUES = ['enabled', 'disabled', 'ingress'] as const;
export const PROXY_VERSION = 'weft.io/proxy-version';
export const PROXY_DEPLOYMENT_LABEL = 'weft.io/proxy-deployment';
/** On injected pods: the sha256 (hex) of the trust anchors PEM the proxy was given. */
export const TRUST_ROOT_SHA256 = 'weft.io/trust-root-sha256';
/**
 * Beyond CONTRACT.md: set when the injector added `config.weft.io/opaque-ports` itself (the pod declared
 * server-speaks-first ports and had no such annotation), so `weft uninject` removes only what inject added.
 */
export const OPAQUE_PORTS_INJECTED = 'weft.io/opaque-ports-injected';

/** Labels of injected pods (CONTRACT.md "Injection"). */
export const CONTROL_PLANE_NS_LABEL = 'weft.io/control-plane-ns';
export const WORKLOAD_NS_LABEL = 'weft.io/workload-ns';
/** The workload kinds a pod's `weft.io/proxy-<kind>` label may name. */
export const PROXY_WORKLOAD_KINDS = ['deployment', 'statefulset', 'daemonset', 'replicaset', 'job', 'cronjob'] as const;
export type ProxyWorkloadKind = (typeof PROXY_WORKLOAD_KINDS)[number];
export const proxyWorkloadLabel = (kind: ProxyWorkloadKind): string => `weft.io/proxy-${kind}`;
/** An owner's Kubernetes kind (`Deployment`) as one of those, or undefined for any other kind. */
export function proxyWorkloadKind(kubernetesKind: string): ProxyWorkloadKind | undefined {
  const kind = kubernetesKind.toLowerCase();
  return (PROXY_WORKLOAD_KINDS as readonly string[]).includes(kind) ? (kind as ProxyWorkloadKind) : undefined;
}

/**
 * Tap's authorization (docs/contract.md "Tap"): a person may tap a resource when Kubernetes allows them `watch`
 * on `<kind>s/tap` in this API group, as Linkerd's `tap.linkerd.io` (e.g. RBAC `apiGroups: [tap.weft.io]`,
 * `resources: ["*"]`, `verbs: [watch]`).
 */
export const TAP_API_GROUP = 'tap.weft.io';
/** Who the caller is, as the API server's authenticating proxy passes it on (Kubernetes' request-header names). */
export const REMOTE_USER_HEADER = 'x-remote-user';
export const REMOTE_GROUP_HEADER = 'x-remote-group';

const C = 'config.weft.io/';
export const CONFIG = {
  skipInboundPorts: `${C}skip-inbound-ports`,
  skipOutboundPorts: `${C}skip-outbound-ports`,
  opaquePorts: `${C}opaque-ports`,
  proxyLogLevel: `${C}proxy-log-level`,
  proxyCpuRequest: `${C}proxy-cpu-request`,
  proxyCpuLimit: `${C}proxy-cpu-limit`,
  proxyMemoryRequest: `${C}proxy-memory-request`,
  proxyMemoryLimit: `${C}proxy-memory-limit`,
  proxyAwait: `${C}proxy-await`,
  proxyEnableNativeSidecar: `${C}proxy-enable-native-sidecar`,
  proxyWaitBeforeExit: `${C}proxy-wait-before-exit`,
} as const;

export const ROUTE = {
  retryHttp: 'retry.weft.io/http',
  retryGrpc: 'retry.weft.io/grpc',
  retryLimit: 'retry.weft.io/limit',
  retryTimeout: 'retry.weft.io/timeout',
  retryMethods: 'retry.weft.io/methods',
  requestTimeout: 'timeout.weft.io/request',
} as const;

/** Service-level objectives on a Service (CONTRACT.md "Tap, CLI views, dashboard, SLOs"). */
export const SLO = {
  /** Percent of requests that succeed: "99.9". */
  successRate: 'slo.weft.io/success-rate',
  /** `300ms@99`: 99 % of requests answered within 300 ms (a response_latency_ms bucket bound). */
  latency: 'slo.weft.io/latency',
  /** The window the objectives hold over: `30d` (the default), `7d`, `24h`. */
  window: 'slo.weft.io/window',
} as const;
