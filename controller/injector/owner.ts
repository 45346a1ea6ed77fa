// The workload a pod belongs to, for its `weft.io/proxy-<kind>` label. A pod names only its direct controller:
// a Deployment's pod names a ReplicaSet and a CronJob's pod a Job, so those two are read through the API to find
// the workload a person wrote. A ReplicaSet or Job that is gone (or has no such parent) is the owner itself.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  controller?: boolean;
}

export interface Owner {
  kind: string;
  name: string;
}

/** The owner references of an object, or undefined when it does not exist (404). Other failures reject. */
export type ReadOwnerReferences = (kind: 'ReplicaSet' | 'Job', namespace: string, name: string) => Promise<OwnerReference[] | undefined>;

const PARENTS = {
  ReplicaSet: { apiVersion: 'apps/v1', parent: 'Deployment', parentApiVersion: 'apps/v1' },
  Job: { apiVersion: 'batch/v1', parent: 'CronJob', parentApiVersion: 'batch/v1' },
} as const;

/** The managing controller among the references: the one marked `controller: true`, as Kubernetes defines it. */
export function controllerOf(references: readonly OwnerReference[] | undefined): OwnerReference | undefined {
  return references?.find((r) => r.controller === true);
}

/**
 * The workload from a pod's owner references, with `read` giving a ReplicaSet's or Job's own references when
 * asked (the injector reads them through the API; discovery from its informers' cache).
 */
export async function findOwner(references: readonly OwnerReference[] | undefined, namespace: string, read: ReadOwnerReferences): Promise<Owner | undefined> {
  const direct = controllerOf(references);
  if (!direct) return undefined;
  const through = intermediateKind(direct);
  return ownerThrough(direct, through && (await read(through, namespace, direct.name)));
}

/** The same, when the intermediate objects' references are at hand (a cache): no promise in between. */
export function findOwnerNow(references: readonly OwnerReference[] | undefined, namespace: string, read: (...args: Parameters<ReadOwnerReferences>) => OwnerReference[] | undefined): Owner | undefined {
  const direct = controllerOf(references);
  if (!direct) return undefined;
  const through = intermediateKind(direct);
  return ownerThrough(direct, through && read(through, namespace, direct.name));
}

/** 'ReplicaSet' or 'Job' when the direct controller is one of the built-in API's: its own owner is the workload. */
function intermediateKind(direct: OwnerReference): keyof typeof PARENTS | undefined {
  const step = direct.kind === 'ReplicaSet' || direct.kind === 'Job' ? PARENTS[direct.kind] : undefined;
  return step && direct.apiVersion === step.apiVersion ? (direct.kind as keyof typeof PARENTS) : undefined;
}

/** The direct controller's parent when it is the workload kind above it, else the direct controller itself. */
function ownerThrough(direct: OwnerReference, parentReferences: readonly OwnerReference[] | undefined): Owner {
  const step = PARENTS[direct.kind as keyof typeof PARENTS];
  const parent = controllerOf(parentReferences);
  if (step && parent?.kind === step.parent && parent.apiVersion === step.parentApiVersion) return { kind: parent.kind, name: parent.name };
  return { kind: direct.kind, name: direct.name };
}
