// inject: (pod, its workload, namespace, mesh config, cluster version) → the RFC 6902 patch that meshes the pod,
// or the named reason it is left alone. Pure: the webhook and `weft inject --manual` both call it, and the same
// input always gives the same patch. A pod this patch was applied to is skipped as already injected.
import { createHash } from 'node:crypto';
import type { IContainer } from 'kubernetes-models/v1/Container';
import {
  CONFIG,
  CONTROL_PLANE_NS_LABEL,
  DEFAULT_OPAQUE_PORTS,
  OPAQUE_PORTS_INJECTED,
  PROXY_VERSION,
  proxyWorkloadLabel,
  proxyWorkloadKind,
  SKIP_REASONS,
  TRUST_ROOT_SHA256,
  WORKLOAD_NS_LABEL,
} from '../common/contract';
import { JsonPatchOp, pointerSegment } from '../common/json-patch';
import { identityVolumes, initContainer, PROXY_OWN_PORTS, proxyContainer } from './containers';
import { eligibility, InjectMode, NamespaceLike, PodLike, Skip } from './eligibility';
import { KubernetesVersion, supportsNativeSidecars } from './kubernetes-version';
import type { MeshConfig } from './mesh-config';
import { PodConfig, readPodConfig } from './pod-config';

export interface InjectInput {
  pod: PodLike;
  /** The workload that owns the pod (a ReplicaSet's Deployment, a Job's CronJob), for `weft.io/proxy-<kind>`. */
  owner?: { kind: string; name: string };
  namespace: NamespaceLike;
  mesh: MeshConfig;
  /** From the API server's /version; native sidecars from 1.29. Unknown: classic sidecar. */
  kubernetesVersion?: KubernetesVersion;
}

export interface Injected {
  kind: 'injected';
  patch: JsonPatchOp[];
  mode: InjectMode;
  sidecar: 'native' | 'classic';
  /** Annotations that were valid but had no effect here, and ports that collide with the proxy's. */
  warnings: string[];
}
export type InjectResult = Injected | Skip;

export function inject(input: InjectInput): InjectResult {
  const { pod, namespace, mesh } = input;
  const decided = eligibility(pod, namespace, mesh.controlPlaneNamespace);
  if (decided.kind === 'skipped') return decided;
  const read = readPodConfig(pod.metadata?.annotations ?? {}, namespace.metadata.annotations ?? {});
  if (!read.ok) return { kind: 'skipped', reason: SKIP_REASONS.invalidConfig, detail: read.problems.join('; ') };
  const config = read.config;
  const sidecar = (config.nativeSidecar ?? supportsNativeSidecars(input.kubernetesVersion)) ? 'native' : 'classic';
  const warnings: string[] = [];
  if (sidecar === 'native' && config.waitBeforeExitSeconds) {
    warnings.push(`${CONFIG.proxyWaitBeforeExit} has no effect on a native sidecar: Kubernetes stops it after the app's containers`);
  }

  const declared = declaredPorts(pod);
  for (const port of declared.filter((p) => PROXY_OWN_PORTS.has(p))) {
    warnings.push(`container port ${port} is one of the proxy's own ports (${[...PROXY_OWN_PORTS].join(', ')}); traffic to it does not reach the app`);
  }
  const proxy = proxyContainer({ mesh, config, sidecar, inboundPorts: declared.filter((p) => !PROXY_OWN_PORTS.has(p)) });
  const init = initContainer(mesh, config, decided.mode);

  const patch: JsonPatchOp[] = [];
  const spec = pod.spec ?? { containers: [] };
  if (sidecar === 'native') {
    // weft-init writes the rules, then the proxy starts; the app's own init containers already run meshed.
    insertAtStart(patch, '/spec/initContainers', spec.initContainers, [init, proxy]);
  } else {
    // The app's init containers run before the rules exist: their traffic has no proxy to go through yet.
    append(patch, '/spec/initContainers', spec.initContainers, [init]);
    insertAtStart(patch, '/spec/containers', spec.containers, [proxy]);
  }
  append(patch, '/spec/volumes', spec.volumes, identityVolumes());
  if (!pod.metadata) patch.push({ op: 'add', path: '/metadata', value: {} });
  addEntries(patch, '/metadata/labels', pod.metadata?.labels, labels(input));
  addEntries(patch, '/metadata/annotations', pod.metadata?.annotations, annotations(mesh, config, declared));
  return { kind: 'injected', patch, mode: decided.mode, sidecar, warnings };
}

/** TCP ports the app's containers (and its own native sidecars) declare, sorted, each once. */
export function declaredPorts(pod: PodLike): number[] {
  const restartable = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  const containers: IContainer[] = [...(pod.spec?.containers ?? []), ...restartable];
  const ports = containers.flatMap((c) => c.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  return [...new Set(ports.map((p) => p.containerPort))].sort((a, b) => a - b);
}

function labels({ owner, namespace, mesh }: InjectInput): Record<string, string> {
  const result: Record<string, string> = { [CONTROL_PLANE_NS_LABEL]: mesh.controlPlaneNamespace, [WORKLOAD_NS_LABEL]: namespace.metadata.name };
  const kind = owner && proxyWorkloadKind(owner.kind);
  if (kind) result[proxyWorkloadLabel(kind)] = owner!.name;
  return result;
}

/** The `weft.io/trust-root-sha256` of a pod given these anchors: `weft check --proxy` compares it with the current ones. */
export function trustRootSha256(trustAnchorsPem: string): string {
  return createHash('sha256').update(trustAnchorsPem).digest('hex');
}

function annotations(mesh: MeshConfig, config: PodConfig, declared: readonly number[]): Record<string, string> {
  const result: Record<string, string> = {
    [PROXY_VERSION]: mesh.proxy.version,
    [TRUST_ROOT_SHA256]: trustRootSha256(mesh.trustAnchorsPem),
  };
  // Server-speaks-first ports would wait out protocol detection (the client sends nothing): mark them opaque,
  // unless the operator already said which ports are.
  const serverFirst = declared.filter((port) => DEFAULT_OPAQUE_PORTS.includes(port));
  if (config.opaquePorts === undefined && serverFirst.length > 0) {
    result[CONFIG.opaquePorts] = serverFirst.join(',');
    result[OPAQUE_PORTS_INJECTED] = 'true';
  }
  return result;
}

function insertAtStart(patch: JsonPatchOp[], path: string, existing: readonly unknown[] | undefined, items: readonly unknown[]): void {
  if (!existing) patch.push({ op: 'add', path, value: [...items] });
  else items.forEach((item, i) => patch.push({ op: 'add', path: `${path}/${i}`, value: item }));
}

function append(patch: JsonPatchOp[], path: string, existing: readonly unknown[] | undefined, items: readonly unknown[]): void {
  if (!existing) patch.push({ op: 'add', path, value: [...items] });
  else for (const item of items) patch.push({ op: 'add', path: `${path}/-`, value: item });
}

function addEntries(patch: JsonPatchOp[], path: string, existing: Record<string, string> | undefined, entries: Record<string, string>): void {
  if (!existing) patch.push({ op: 'add', path, value: { ...entries } });
  else for (const [key, value] of Object.entries(entries)) patch.push({ op: 'add', path: `${path}/${pointerSegment(key)}`, value });
}
