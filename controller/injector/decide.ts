// One admission request → what the webhook answers: a patch, a named skip, or an internal error (which the server
// answers as allowed with a warning). The facts come from outside (the cluster, or a test), each lookup bounded
// by the request's AbortSignal.
import { SKIP_REASONS, SkipReason, WEBHOOK_SKIP_REASONS } from '../../common/contract';
import type { JsonPatchOp } from '../../common/json-patch';
import { eligibility, NamespaceLike, PodLike, Skip } from '../../injector/eligibility';
import { inject } from '../../injector/inject';
import type { KubernetesVersion } from '../../injector/kubernetes-version';
import type { MeshConfig } from '../../injector/mesh-config';
import { AdmissionRequest, isPodCreate } from './admission';
import type { Owner, OwnerReference } from './owner';

export type MeshConfigState = { kind: 'ready'; config: MeshConfig } | { kind: 'unusable'; problem: string };

export interface InjectorFacts {
  /** The mesh config from the ConfigMap `weft-config` as it is now. */
  meshConfig(): MeshConfigState;
  /** The pod's namespace with its annotations. */
  namespace(name: string, signal: AbortSignal): Promise<NamespaceLike>;
  owner(references: readonly OwnerReference[] | undefined, namespace: string, signal: AbortSignal): Promise<Owner | undefined>;
  /** From the API server's /version; undefined while unknown (then: classic sidecar). */
  kubernetesVersion(): KubernetesVersion | undefined;
}

export type WebhookSkipReason = SkipReason | (typeof WEBHOOK_SKIP_REASONS)['notAPodCreate'];

export type Decision =
  | { kind: 'injected'; patch: JsonPatchOp[]; warnings: string[] }
  | { kind: 'skipped'; reason: WebhookSkipReason; detail: string; warnings: string[] };

/** Something the injector needed but could not have: answered as allowed, with the message as a warning. */
export class InjectorInternalError extends Error {
  override name = 'InjectorInternalError';
}

export async function decide(request: AdmissionRequest, facts: InjectorFacts, signal: AbortSignal): Promise<Decision> {
  if (!isPodCreate(request)) {
    const what = `${request.operation} of ${request.resource.group || 'core'}/${request.resource.version} ${request.resource.resource}${request.subResource ? `/${request.subResource}` : ''}`;
    const detail = `weft-proxy-injector mutates pod creations only, and was sent a ${what}: check the rules of its MutatingWebhookConfiguration`;
    return { kind: 'skipped', reason: WEBHOOK_SKIP_REASONS.notAPodCreate, detail, warnings: [detail] };
  }
  const pod = podOf(request.object);
  const namespaceName = request.namespace || pod.metadata?.namespace || 'default';
  const mesh = facts.meshConfig();
  if (mesh.kind === 'unusable') throw new InjectorInternalError(mesh.problem);

  const namespace = await facts.namespace(namespaceName, signal);
  // Decided before the owner lookup: most pods the webhook sees are not to be meshed, and need no API call.
  const eligible = eligibility(pod, namespace, mesh.config.controlPlaneNamespace);
  if (eligible.kind === 'skipped') return skipped(eligible);
  const owner = await facts.owner(pod.metadata?.ownerReferences as OwnerReference[] | undefined, namespaceName, signal);
  const result = inject({ pod, owner, namespace, mesh: mesh.config, kubernetesVersion: facts.kubernetesVersion() });
  if (result.kind === 'skipped') return skipped(result);
  return { kind: 'injected', patch: result.patch, warnings: result.warnings };
}

/** An annotation the injector cannot honour is the pod author's to fix: kubectl shows them why. Other skips are silent. */
function skipped(skip: Skip): Decision {
  const warnings = skip.reason === SKIP_REASONS.invalidConfig ? [`weft-proxy-injector did not mesh this pod: ${skip.detail}`] : [];
  return { ...skip, warnings };
}

type PodWithOwners = PodLike & { metadata?: { ownerReferences?: unknown } };

function podOf(object: unknown): PodWithOwners {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new InjectorInternalError('the review of a pod creation carries no pod (request.object)');
  }
  const pod = object as PodWithOwners;
  const spec = pod.spec as { containers?: unknown } | undefined;
  if (!spec || !Array.isArray(spec.containers)) throw new InjectorInternalError('the pod in the review has no spec.containers');
  return pod;
}
