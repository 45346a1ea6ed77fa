// Who may tap what: one interface, two answers. Locally (--cluster-file) whoever reaches the tap address may: it
// listens where the operator put it, loopback in the demo. In a cluster tap is an aggregated API: the caller is
// the person the Kubernetes API server's aggregation layer names, believed only from its front-proxy client
// certificate (front-proxy.ts), and Kubernetes is asked with a SubjectAccessReview whether they may `watch`
// `<kind>s/tap` of the target in API group tap.weft.io.
import type * as http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { TAP_API_GROUP } from '../../common/contract';
import { Authentication, authenticateFrontProxy, Caller, FrontProxyConfig } from './front-proxy';
import type { Selection } from './select';

export type Decision = { allowed: true } | { allowed: false; reason: string };

export interface TapAuthorizer {
  /** Who asks (401 with the reason when they cannot be told); a local caller is nobody in particular. */
  authenticate(req: http.IncomingMessage): Authentication | { ok: true; caller: undefined };
  /** Whether they may tap what they selected (403 with the reason when not). */
  authorize(caller: Caller | undefined, selection: Selection): Promise<Decision>;
}

export const localAuthorizer: TapAuthorizer = {
  authenticate: () => ({ ok: true, caller: undefined }),
  authorize: async () => ({ allowed: true }),
};

export class KubernetesAuthorizer implements TapAuthorizer {
  private readonly api: import('@kubernetes/client-node').AuthorizationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    /** The front-proxy settings in force (re-read as Kubernetes rotates them). */
    private readonly frontProxy: () => FrontProxyConfig,
  ) {
    const { AuthorizationV1Api } = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
    this.api = kubeConfig.makeApiClient(AuthorizationV1Api);
  }

  authenticate(req: http.IncomingMessage): Authentication {
    return authenticateFrontProxy(req, this.frontProxy());
  }

  async authorize(caller: Caller | undefined, selection: Selection): Promise<Decision> {
    if (!caller) return { allowed: false, reason: 'no caller was authenticated' };
    const { user, groups } = caller;
    const { resource } = selection;
    const attributes =
      resource.kind === 'namespace'
        ? { verb: 'watch', group: TAP_API_GROUP, resource: 'namespaces', subresource: 'tap', name: resource.name }
        : { verb: 'watch', group: TAP_API_GROUP, resource: `${resource.kind}s`, subresource: 'tap', name: resource.name, namespace: selection.namespace };
    const { status } = await this.api.createSubjectAccessReview({
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, groups, resourceAttributes: attributes } },
    });
    if (status?.allowed) return { allowed: true };
    const why = status?.reason || status?.evaluationError || 'no RBAC rule allows it';
    return { allowed: false, reason: `${user} may not tap ${selection.what}: Kubernetes says ${why} (needs verb watch on ${attributes.resource}/tap in API group ${TAP_API_GROUP})` };
  }
}
