// uninject: a pod (template) without what inject and `weft inject` added — the proxy, weft-init, the identity
// volumes, the labels and annotations — so that uninject(inject(x)) is x again. Lists and maps left empty by the
// removal are dropped, since inject created them.
import {
  CONFIG,
  CONTROL_PLANE_NS_LABEL,
  END_ENTITY_VOLUME,
  INIT_CONTAINER,
  INJECT,
  OPAQUE_PORTS_INJECTED,
  PROXY_CONTAINER,
  PROXY_VERSION,
  PROXY_WORKLOAD_KINDS,
  proxyWorkloadLabel,
  TOKEN_VOLUME,
  TRUST_ROOT_SHA256,
  WORKLOAD_NS_LABEL,
  XTABLES_LOCK_VOLUME,
} from '../common/contract';
import type { PodLike } from './eligibility';

const ADDED_CONTAINERS = new Set([PROXY_CONTAINER, INIT_CONTAINER]);
const ADDED_VOLUMES = new Set([END_ENTITY_VOLUME, TOKEN_VOLUME, XTABLES_LOCK_VOLUME]);
const ADDED_LABELS = [CONTROL_PLANE_NS_LABEL, WORKLOAD_NS_LABEL, ...PROXY_WORKLOAD_KINDS.map(proxyWorkloadLabel)];
const ADDED_ANNOTATIONS = [PROXY_VERSION, TRUST_ROOT_SHA256];

export interface Uninjected<T> {
  pod: T;
  /** False when there was nothing of weft's to remove. */
  changed: boolean;
}

export function uninject<T extends PodLike>(original: T): Uninjected<T> {
  const pod = structuredClone(original);
  const before = JSON.stringify(pod);
  const spec = pod.spec;
  if (spec) {
    spec.containers = spec.containers.filter((c) => !ADDED_CONTAINERS.has(c.name));
    spec.initContainers = spec.initContainers?.filter((c) => !ADDED_CONTAINERS.has(c.name));
    spec.volumes = spec.volumes?.filter((v) => !ADDED_VOLUMES.has(v.name));
    if (spec.initContainers?.length === 0) delete spec.initContainers;
    if (spec.volumes?.length === 0) delete spec.volumes;
  }
  const metadata = pod.metadata;
  if (metadata) {
    const annotations = metadata.annotations ?? {};
    const removed = [
      ...ADDED_ANNOTATIONS,
      // `disabled` is the operator's own word that the pod stays out of the mesh: it stays.
      ...(annotations[INJECT] !== 'disabled' ? [INJECT] : []),
      ...(annotations[OPAQUE_PORTS_INJECTED] === 'true' ? [CONFIG.opaquePorts, OPAQUE_PORTS_INJECTED] : []),
    ];
    metadata.annotations = without(metadata.annotations, removed);
    metadata.labels = without(metadata.labels, ADDED_LABELS);
    if (!metadata.annotations) delete metadata.annotations;
    if (!metadata.labels) delete metadata.labels;
    if (Object.keys(metadata).length === 0) delete pod.metadata;
  }
  return { pod, changed: JSON.stringify(pod) !== before };
}

/** The map without `keys`; undefined when nothing is left. */
function without(map: Record<string, string> | undefined, keys: readonly string[]): Record<string, string> | undefined {
  if (!map) return undefined;
  const rest = Object.fromEntries(Object.entries(map).filter(([key]) => !keys.includes(key)));
  return Object.keys(rest).length > 0 ? rest : undefined;
}
