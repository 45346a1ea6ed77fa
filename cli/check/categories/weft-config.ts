// weft-config: the namespace and the mesh config are there and valid, each role's service account exists and may do
// in the Kubernetes API what that role does (SubjectAccessReview: the cluster's RBAC decides, whatever the roles
// and bindings are called).
import { CHECK_CATEGORIES, MESH_CONFIG_MAP } from '../../../common/contract';
import { meshConfig } from '../cluster';
import { COMPONENTS, qualifiedResource, type Component, type Permission } from '../components';
import type { CheckContext } from '../context';
import type { Category } from '../types';
import { CheckFailure } from '../types';

interface AccessReview {
  status?: { allowed?: boolean };
}

function serviceAccountUser(ns: string, name: string) {
  return { user: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] };
}

async function allowed(ctx: CheckContext, component: Component, permission: Permission): Promise<boolean> {
  const ns = ctx.options.controlPlaneNamespace;
  const review = await ctx.kube.create<AccessReview>('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      ...serviceAccountUser(ns, component.serviceAccount),
      resourceAttributes: {
        verb: permission.verb,
        group: permission.group,
        resource: permission.resource,
        ...(permission.controlPlaneNamespaceOnly ? { namespace: ns } : {}),
      },
    },
  });
  return review.status?.allowed === true;
}

export const weftConfig: Category = {
  name: CHECK_CATEGORIES.weftConfig,
  checks: [
    {
      description: 'control plane Namespace exists',
      hint: 'install the control plane: weft install | kubectl apply -f -',
      fatal: true,
      run: async (ctx) => {
        const ns = ctx.options.controlPlaneNamespace;
        if (!(await ctx.kube.find(`/api/v1/namespaces/${ns}`))) throw new CheckFailure(`namespace ${ns} does not exist`);
      },
    },
    {
      description: `'${MESH_CONFIG_MAP}' holds a valid mesh config`,
      hint: `fix ${MESH_CONFIG_MAP}, or re-render it with weft upgrade`,
      run: async (ctx) => void (await meshConfig(ctx)),
    },
    {
      description: 'control plane ServiceAccounts exist',
      hint: 'install the control plane: weft install | kubectl apply -f -',
      run: async (ctx) => {
        const ns = ctx.options.controlPlaneNamespace;
        const missing: string[] = [];
        for (const { serviceAccount } of COMPONENTS) {
          if (!(await ctx.kube.find(`/api/v1/namespaces/${ns}/serviceaccounts/${serviceAccount}`))) missing.push(serviceAccount);
        }
        if (missing.length > 0) throw new CheckFailure(`no ServiceAccount ${missing.join(', ')} in namespace ${ns}`);
      },
    },
    {
      description: 'control plane roles may do what they need (RBAC)',
      hint: 'restore the control plane ClusterRoles and bindings: weft install | kubectl apply -f -',
      run: async (ctx) => {
        const denied: string[] = [];
        for (const component of COMPONENTS) {
          const missing: string[] = [];
          for (const permission of component.permissions) {
            if (!(await allowed(ctx, component, permission))) missing.push(`${permission.verb} ${qualifiedResource(permission)}`);
          }
          if (missing.length > 0) denied.push(`${component.serviceAccount} may not ${missing.join(', ')}`);
        }
        if (denied.length > 0) throw new CheckFailure(denied.join('; '));
      },
    },
  ],
};
