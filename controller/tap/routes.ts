// What a request to the tap service asks for, by its method and path. Locally (the demo, by address):
// `POST /tap` with the whole query in the body. In a cluster, tap is the aggregated API tap.weft.io/v1alpha1:
// `POST /apis/tap.weft.io/v1alpha1/watch/namespaces/NS/RESOURCE/NAME/tap` (or `…/watch/namespaces/NS/tap` for a
// whole namespace) with the rest of the query in the body, as Linkerd's tap.linkerd.io, and the discovery
// documents the aggregator reads to mark the APIService Available. Pure.
import { TAP_API_GROUP, TAP_API_PREFIX, TAP_API_VERSION } from '../../common/contract';
import { TAP_HTTP_PATH } from '../../common/tap-api';
import { TAPPABLE_KINDS } from '../../common/tap-resource';

export type TapApiMode = 'local' | 'aggregated';

export type TapRoute =
  /** The target from the path (aggregated), or undefined: the body names it (local). */
  | { kind: 'tap'; target?: { resource: string; namespace: string } }
  | { kind: 'discovery'; document: object }
  | { kind: 'refused'; status: 404 | 405; message: string; allow?: string };

const WATCH = new RegExp(`^${TAP_API_PREFIX}/watch/namespaces/([^/]+)(?:/([^/]+)/([^/]+))?/tap$`);
const GROUP_VERSION = `${TAP_API_GROUP}/${TAP_API_VERSION}`;
const PREFERRED = { groupVersion: GROUP_VERSION, version: TAP_API_VERSION };
const API_GROUP = { name: TAP_API_GROUP, versions: [PREFERRED], preferredVersion: PREFERRED };

/** Each tappable kind and its `tap` subresource, as Linkerd lists them: RBAC is written against these names. */
function resourceList(): object {
  const resources = TAPPABLE_KINDS.flatMap((kind) => {
    const name = `${kind}s`;
    const namespaced = kind !== 'namespace';
    return [
      { name, singularName: kind, namespaced, kind, verbs: ['list'] },
      { name: `${name}/tap`, singularName: '', namespaced, kind: 'Tap', verbs: ['watch'] },
    ];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: GROUP_VERSION, resources };
}

const DISCOVERY: Record<string, () => object> = {
  '/apis': () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: [API_GROUP] }),
  [`/apis/${TAP_API_GROUP}`]: () => ({ kind: 'APIGroup', apiVersion: 'v1', ...API_GROUP }),
  [TAP_API_PREFIX]: resourceList,
};

export function tapRoute(mode: TapApiMode, method: string, path: string): TapRoute {
  if (mode === 'local') {
    if (path !== TAP_HTTP_PATH) return { kind: 'refused', status: 404, message: `no ${path} here: POST ${TAP_HTTP_PATH} with a JSON tap query` };
    return method === 'POST' ? { kind: 'tap' } : { kind: 'refused', status: 405, message: `${TAP_HTTP_PATH} takes POST`, allow: 'POST' };
  }
  const document = DISCOVERY[path.replace(/\/+$/, '')];
  if (document) return method === 'GET' ? { kind: 'discovery', document: document() } : { kind: 'refused', status: 405, message: `${path} takes GET`, allow: 'GET' };
  const m = WATCH.exec(path);
  if (!m) return { kind: 'refused', status: 404, message: `no ${path} here: POST ${TAP_API_PREFIX}/watch/namespaces/NS/RESOURCE/NAME/tap (or …/watch/namespaces/NS/tap) with a JSON tap query` };
  if (method !== 'POST') return { kind: 'refused', status: 405, message: `${path} takes POST`, allow: 'POST' };
  const [, namespace, resource, name] = m.map((part) => (part === undefined ? part : decodeURIComponent(part)));
  return { kind: 'tap', target: resource === undefined ? { resource: `ns/${namespace}`, namespace } : { resource: `${resource}/${name}`, namespace } };
}
