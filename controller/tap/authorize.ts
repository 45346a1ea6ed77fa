// Who may tap what. Locally (--cluster-file) whoever reaches the tap address may: it listens where the operator
// put it, loopback in the demo. In a cluster a person's request comes through the Kubernetes API server, which
// authenticated them; tap reads who they are from the request headers an authenticating proxy sets
// (X-Remote-User, X-Remote-Group) and asks Kubernetes with a SubjectAccessReview whether that user may `watch`
// `<kind>s/tap` of the target in API group tap.weft.io. A request that names no user is refused: a plain
// service-proxy request through a real API server carries none, so tap fails closed rather than trusting it.
import type * as http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { REMOTE_GROUP_HEADER, REMOTE_USER_HEADER, TAP_API_GROUP } from '../../common/contract';
import type { Selection } from './select';

export type Decision = { allowed: true; user?: string } | { allowed: false; status: 401 | 403; reason: string };

export interface TapAuthorizer {
  authorize(req: http.IncomingMessage, selection: Selection): Promise<Decision>;
}

export const localAuthorizer: TapAuthorizer = { authorize: async () => ({ allowed: true }) };

export class SubjectAccessReviewer implements TapAuthorizer {
  private readonly api: import('@kubernetes/client-node').AuthorizationV1Api;

  constructor(kubeConfig: KubeConfig) {
    const { AuthorizationV1Api } = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
    this.api = kubeConfig.makeApiClient(AuthorizationV1Api);
  }

  async authorize(req: http.IncomingMessage, selection: Selection): Promise<Decision> {
    const user = headerValues(req, REMOTE_USER_HEADER)[0];
    if (!user) {
      return { allowed: false, status: 401, reason: `no ${REMOTE_USER_HEADER} header: tap serves people through the Kubernetes API server, which names the user it authenticated` };
    }
    const groups = headerValues(req, REMOTE_GROUP_HEADER);
    const { resource } = selection;
    const attributes =
      resource.kind === 'namespace'
        ? { verb: 'watch', group: TAP_API_GROUP, resource: 'namespaces', subresource: 'tap', name: resource.name }
        : { verb: 'watch', group: TAP_API_GROUP, resource: `${resource.kind}s`, subresource: 'tap', name: resource.name, namespace: selection.namespace };
    const { status } = await this.api.createSubjectAccessReview({
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, groups, resourceAttributes: attributes } },
    });
    if (status?.allowed) return { allowed: true, user };
    const why = status?.reason || status?.evaluationError || 'no RBAC rule allows it';
    return { allowed: false, status: 403, reason: `${user} may not tap ${selection.what}: Kubernetes says ${why} (needs verb watch on ${attributes.resource}/tap in API group ${TAP_API_GROUP})` };
  }
}

/** A header's values, repeated or comma-separated. */
function headerValues(req: http.IncomingMessage, name: string): string[] {
  const raw = req.headers[name];
  return [raw ?? []].flat().flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
