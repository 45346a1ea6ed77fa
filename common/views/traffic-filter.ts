// `weft stat … --from TYPE/NAME` and `--to TYPE/NAME`, as Linkerd's viz reads them: both are measured at the
// callers' outbound side, where discovery's dst_* labels name what was called. `--to X`: the rows are X's
// callers (outbound series whose dst_* labels are X's, grouped by the callers' own labels). `--from X`: the
// rows are what X called (X's outbound series, grouped by the dst_* label of the row type).
import { dstLabel, PROXY_TARGET_LABEL as T } from '../contract';
import { UsageError } from '../errors';
import type { ResourceType } from './resources';
import type { Matchers } from './source';

export interface TrafficFilter {
  /** `from`: rows are what `resource` called; `to`: rows are the callers of `resource`. */
  direction: 'from' | 'to';
  type: ResourceType;
  name: string;
  namespace: string;
}

/** The label that names a resource on its own proxies' series (their scrape labels); services have no proxy. */
export const OWN_LABEL: Readonly<Record<ResourceType, string | undefined>> = { deploy: T.deployment, pod: T.pod, ns: T.namespace, svc: undefined };
/** The label that names a resource on its callers' outbound series (from discovery). */
export const DST_LABEL: Readonly<Record<ResourceType, string>> = { deploy: dstLabel('deployment'), pod: dstLabel('pod'), ns: dstLabel('namespace'), svc: dstLabel('service') };
const DST_NAMESPACE = dstLabel('namespace');

/** How `weft stat` reads the series for one row type: what names a row, and which series count. */
export interface StatScope {
  /** [namespace label, name label]; one label for namespaces. */
  by: readonly string[];
  match: Matchers;
}

/** A service sends nothing: it cannot be --from, nor a row of callers. */
export function checkFilter(rowType: ResourceType, filter: TrafficFilter): void {
  if (filter.direction === 'from' && filter.type === 'svc') throw new UsageError(`--from ${filter.type}/${filter.name}: a service sends no traffic; use --to svc/${filter.name}, or --from the deploy or pod behind it`);
  if (filter.direction === 'to' && rowType === 'svc') throw new UsageError('--to lists the callers of a resource, and services call nothing: use weft stat deploy, pod or ns --to …');
}

/** The series of rows of `rowType` (in `namespace`, undefined: all) restricted by `filter`. */
export function filteredScope(rowType: ResourceType, namespace: string | undefined, filter: TrafficFilter): StatScope {
  checkFilter(rowType, filter);
  const outbound = { direction: 'outbound' };
  if (filter.direction === 'to') {
    const ownName = OWN_LABEL[rowType]!;
    const rows: Matchers = rowType === 'ns' || namespace === undefined ? {} : { [T.namespace]: namespace };
    return { by: rowType === 'ns' ? [T.namespace] : [T.namespace, ownName], match: { ...outbound, ...calledMatch(filter), ...rows } };
  }
  const rows: Matchers = rowType === 'ns' || namespace === undefined ? {} : { [DST_NAMESPACE]: namespace };
  return { by: rowType === 'ns' ? [DST_NAMESPACE] : [DST_NAMESPACE, DST_LABEL[rowType]], match: { ...outbound, ...callerMatch(filter), ...rows } };
}

/** Outbound series towards the resource: its dst_* labels. */
function calledMatch(r: TrafficFilter): Matchers {
  return r.type === 'ns' ? { [DST_NAMESPACE]: r.name } : { [DST_NAMESPACE]: r.namespace, [DST_LABEL[r.type]]: r.name };
}

/** Outbound series of the resource's own proxies. */
function callerMatch(r: TrafficFilter): Matchers {
  return r.type === 'ns' ? { [T.namespace]: r.name } : { [T.namespace]: r.namespace, [OWN_LABEL[r.type]!]: r.name };
}
