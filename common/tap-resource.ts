// What `weft tap` and the tap service take as a resource: `<kind>/<name>` (`deploy/web`, `po/web-0`) or a
// namespace (`ns/demo`), with kubectl's short names. Pure; errors name what is accepted.
import { PROXY_WORKLOAD_KINDS, ProxyWorkloadKind } from './contract';

export type ResourceKind = ProxyWorkloadKind | 'pod' | 'namespace' | 'service';

export interface Resource {
  kind: ResourceKind;
  name: string;
}

const ALIASES: Record<string, ResourceKind> = {
  ns: 'namespace',
  namespace: 'namespace',
  namespaces: 'namespace',
  po: 'pod',
  pod: 'pod',
  pods: 'pod',
  deploy: 'deployment',
  sts: 'statefulset',
  ds: 'daemonset',
  rs: 'replicaset',
  cj: 'cronjob',
  svc: 'service',
  service: 'service',
  services: 'service',
};
for (const kind of PROXY_WORKLOAD_KINDS) {
  ALIASES[kind] = kind;
  ALIASES[`${kind}s`] = kind;
}

/** What can be tapped (its pods' proxies); a service only names where requests go (`--to svc/books`). */
export const TAPPABLE_KINDS: readonly ResourceKind[] = ['namespace', 'pod', ...PROXY_WORKLOAD_KINDS];
export const PEER_KINDS: readonly ResourceKind[] = [...TAPPABLE_KINDS, 'service'];

export class ResourceError extends Error {
  override name = 'ResourceError';
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The kind a resource type names, as kubectl spells it (`deploy`, `deployments`, `po`, `ns` …), or undefined. */
export function kindOfAlias(alias: string | undefined): ResourceKind | undefined {
  return alias === undefined ? undefined : ALIASES[alias.toLowerCase()];
}

/** `deploy/web` → { kind: 'deployment', name: 'web' }; `kinds` are those accepted where it is used. */
export function parseResource(text: string, kinds: readonly ResourceKind[] = TAPPABLE_KINDS): Resource {
  const [alias, name, ...rest] = text.split('/');
  const kind = kindOfAlias(alias);
  const accepted = kinds.map((k) => k).join(', ');
  if (kind === undefined || !kinds.includes(kind)) throw new ResourceError(`unknown resource type ${JSON.stringify(alias)} in ${JSON.stringify(text)}: expected <type>/<name> with type one of ${accepted}`);
  if (!name || rest.length > 0 || !NAME.test(name)) throw new ResourceError(`${JSON.stringify(text)} is not <type>/<name>: the name must be a Kubernetes object name, e.g. ${kind}/web`);
  return { kind, name };
}

export function formatResource(resource: Resource): string {
  return `${resource.kind}/${resource.name}`;
}
