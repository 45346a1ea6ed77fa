// Whether a pod gets a proxy, and in which mode, or the named reason it is left alone. The checks that do not
// depend on the `weft.io/inject` annotation come first: kube-system stays unmeshed even when annotated.
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { INJECT, INJECT_VALUES, KUBE_SYSTEM_NAMESPACE, PROXY_CONTAINER, SKIP_REASONS, SkipReason } from '../common/contract';

/** A pod, or the pod template of a workload: the injector reads its metadata and spec only. */
export type PodLike = Pick<IPodTemplateSpec, 'metadata' | 'spec'>;
export interface NamespaceLike {
  metadata: { name: string; annotations?: Record<string, string> };
}

export type InjectMode = 'enabled' | 'ingress';
export interface Skip {
  kind: 'skipped';
  reason: SkipReason;
  /** What about the pod made the injector skip it, and what to change if that was not the intent. */
  detail: string;
}
export type Eligibility = { kind: 'eligible'; mode: InjectMode } | Skip;

const skip = (reason: SkipReason, detail: string): Skip => ({ kind: 'skipped', reason, detail });

export function isInjected(pod: PodLike): boolean {
  const spec = pod.spec;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].some((c) => c.name === PROXY_CONTAINER);
}

/** The reason the pod may not be meshed whatever its annotations say, if any. */
export function podBlocker(pod: PodLike, namespace: string, controlPlaneNamespace: string): Skip | undefined {
  if (isInjected(pod)) return skip(SKIP_REASONS.alreadyInjected, `it already has a ${PROXY_CONTAINER} container`);
  if (namespace === KUBE_SYSTEM_NAMESPACE) return skip(SKIP_REASONS.kubeSystemNamespace, `pods in ${KUBE_SYSTEM_NAMESPACE} are never meshed`);
  if (namespace === controlPlaneNamespace) {
    return skip(SKIP_REASONS.controlPlaneNamespace, `the control plane's namespace ${controlPlaneNamespace} is never meshed by the injector`);
  }
  if (pod.spec?.hostNetwork) {
    return skip(SKIP_REASONS.hostNetwork, "it uses the node's network (hostNetwork: true), where iptables rules would capture the node's traffic");
  }
  if (pod.spec?.automountServiceAccountToken === false) {
    return skip(
      SKIP_REASONS.noServiceAccountToken,
      'it opts out of service-account tokens (automountServiceAccountToken: false), which the proxy proves its identity with; remove that setting to mesh it',
    );
  }
  return undefined;
}

/** The pod's own `weft.io/inject` wins over its namespace's. */
export function eligibility(pod: PodLike, namespace: NamespaceLike, controlPlaneNamespace: string): Eligibility {
  const blocker = podBlocker(pod, namespace.metadata.name, controlPlaneNamespace);
  if (blocker) return blocker;
  const fromPod = pod.metadata?.annotations?.[INJECT];
  const value = fromPod ?? namespace.metadata.annotations?.[INJECT];
  const where = fromPod !== undefined ? 'the pod' : `namespace ${namespace.metadata.name}`;
  if (value === undefined) {
    return skip(SKIP_REASONS.injectionNotEnabled, `neither the pod nor namespace ${namespace.metadata.name} has ${INJECT}: enabled`);
  }
  if (value === 'disabled') return skip(SKIP_REASONS.injectionDisabled, `${where} has ${INJECT}: disabled`);
  if (value === 'enabled' || value === 'ingress') return { kind: 'eligible', mode: value };
  return skip(SKIP_REASONS.invalidConfig, `${where} has ${INJECT}: ${JSON.stringify(value)}; expected one of ${INJECT_VALUES.join(', ')}`);
}
