// The resource types views group by, and how their names are written on the command line (`deploy`,
// `deployment/web`, `po`, …), as kubectl and Linkerd's viz spell them.
import { UsageError } from '../errors';
import { kindOfAlias, ResourceKind } from '../tap-resource';

export type ResourceType = 'deploy' | 'pod' | 'svc' | 'ns';

/** The kind each type is (its other spellings are kubectl's, read by kindOfAlias); also its name in messages. */
const KINDS: Record<ResourceType, ResourceKind> = { deploy: 'deployment', pod: 'pod', svc: 'service', ns: 'namespace' };
const TYPES = Object.keys(KINDS) as ResourceType[];

/** `deploy`, `deployment/web` or `deploy web` → type and name; unknown types are a usage error naming the known ones. */
export function parseResource(text: string, name: string | undefined, allowed: readonly ResourceType[] = TYPES): { type: ResourceType; name?: string } {
  const [typeText, slashName, ...rest] = text.split('/');
  if (rest.length > 0 || (slashName !== undefined && name !== undefined) || slashName === '') {
    throw new UsageError(`${JSON.stringify(text)}${name ? ` ${name}` : ''} is not a resource: write TYPE, TYPE NAME or TYPE/NAME, e.g. deploy/web`);
  }
  const kind = kindOfAlias(typeText);
  const type = allowed.find((t) => KINDS[t] === kind);
  if (!type) throw new UsageError(`unknown resource type ${JSON.stringify(typeText)}: use ${listed(allowed, 'or')}`);
  return { type, name: slashName ?? name };
}

/** A name that no metric knows: the message lists the ones that exist. */
export class UnknownResourceName extends Error {
  override name = 'UnknownResourceName';
  /** `flag`: the option that named it (`--from deploy/nope`), when not the resource argument. */
  constructor(type: ResourceType, wanted: string, namespace: string | undefined, existing: readonly string[], source: string, flag?: string) {
    const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
    const known = existing.length === 0 ? `none is known${where} to ${source}` : `known${where}: ${listed(existing, 'and')}`;
    super(`${flag ? `${flag}: ` : ''}no ${KINDS[type]} ${JSON.stringify(wanted)}${where}; ${known}`);
  }
}

/** `a, b or c`. */
export function listed(items: readonly string[], last: 'and' | 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}
