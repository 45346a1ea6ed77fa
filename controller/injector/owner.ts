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

export async function findOwner(references: readonly OwnerReference[] | undefined, namespace: string, read: ReadOwnerReferences): Promise<Owner | undefined> {
  const direct = controllerOf(references);
  if (!direct) return undefined;
  const owner = { kind: direct.kind, name: direct.name };
  const step = direct.kind === 'ReplicaSet' || direct.kind === 'Job' ? PARENTS[direct.kind] : undefined;
  if (!step || direct.apiVersion !== step.apiVersion) return owner;
  const parent = controllerOf(await read(direct.kind as keyof typeof PARENTS, namespace, direct.name));
  if (parent?.kind === step.parent && parent.apiVersion === step.parentApiVersion) return { kind: parent.kind, name: parent.name };
  return owner;
}
