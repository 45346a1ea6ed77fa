// What the destination service needs to know about the cluster, whichever source supplies it: the Kubernetes
// API (kubernetes.ts) or a local endpoints file (local.ts, for `weft demo`).
import type { HostPort } from '../../common/address';
import type { ProxyWorkloadKind } from '../../common/contract';
import type { RetrySpec } from '../../common/endpoints-file';
import type { ServiceObjective } from '../../common/slo';

/** What an authority names, once parsed (controller/destination/authority.ts). */
export type Target =
  /** A Service port; `hostname` picks one pod of a headless service (`web-0.web.demo.svc.cluster.local`). */
  | { kind: 'service'; namespace: string; name: string; port: number; hostname?: string }
  /** A pod IP or a cluster IP. */
  | { kind: 'ip'; ip: string; port: number }
  /** A name outside the cluster domain. */
  | { kind: 'name'; host: string; port: number };

export interface EndpointFact {
  addr: HostPort;
  /** namespace, service, pod: the proxy's dst_* metric labels. */
  labels: Readonly<Record<string, string>>;
  /** The pod's identity name, when it is meshed. */
  identity?: string;
  /** 'h2' when the pod runs a weft proxy. */
  protocolHint?: 'h2';
  opaquePorts: readonly number[];
}

/** Route policy from a Service's annotations, the same shape as the endpoints file's retry/timeout. */
export interface RoutePolicy {
  retry?: RetrySpec;
  timeoutMs?: number;
}

export type Resolution =
  /** The service exists; `endpoints` may be empty (nothing ready now). */
  | { kind: 'endpoints'; endpoints: readonly EndpointFact[]; policy: RoutePolicy }
  /** No such service or pod. */
  | { kind: 'unknown' }
  /** Not served in the cluster (ExternalName, or a name outside the cluster domain): connect directly. */
  | { kind: 'external'; addr: HostPort };

export type { ServiceObjective };

/** Called with the change keys (see changeKey) whose resolutions may differ now, or 'all' after a resync. */
export type ChangeListener = (keys: ReadonlySet<string> | 'all') => void;

/** A pod as tap sees it: what selects it, and where its proxy's tap port is. */
export interface PodInfo {
  namespace: string;
  name: string;
  /** From its `weft.io/proxy-<kind>` label (Kubernetes) or its `workload` (the local file). */
  workload?: { kind: ProxyWorkloadKind; name: string };
  ip?: string;
  /** Absent for a pod without a weft proxy (or one with identity off): it cannot be tapped. */
  tap?: { addr: HostPort; identity: string };
}

export interface ClusterSource {
  /** Resolves once the source holds a complete first view; until then it must not be asked. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Why the source cannot answer with current facts now (shown on /ready), or undefined. */
  notReadyReason(): string | undefined;
  resolve(target: Target): Resolution;
  onChange(listener: ChangeListener): void;
  /** Every service's objectives as the facts hold them now; a service without any is absent. */
  objectives(): ServiceObjective[];
  /** Every pod known now, for tap (sources that know no pods have none). */
  pods?(): readonly PodInfo[];
}

/** Which changes affect a target: every port of a service shares one key, as does everything at one IP. */
export function changeKey(target: Target): string {
  switch (target.kind) {
    case 'service':
      return serviceKey(target.namespace, target.name);
    case 'ip':
      return ipKey(target.ip);
    case 'name':
      return `name:${target.host}`;
  }
}

export const serviceKey = (namespace: string, name: string): string => `svc:${namespace}/${name}`;
export const ipKey = (ip: string): string => `ip:${ip}`;

/** One string per distinct target: what the destination service shares streams by. */
export function targetId(target: Target): string {
  switch (target.kind) {
    case 'service':
      return `${target.hostname ? `${target.hostname}.` : ''}${target.name}.${target.namespace}.svc:${target.port}`;
    case 'ip':
      return `${target.ip.includes(':') ? `[${target.ip}]` : target.ip}:${target.port}`;
    case 'name':
      return `${target.host}:${target.port}`;
  }
}
