// The control plane as `weft check` expects to find it, read from the tables `weft install` renders from (one
// Deployment, Service and service account per role, and the RBAC rules each role is given), so check and install
// cannot drift apart. Each rule becomes the permissions the check asks the cluster about with SubjectAccessReviews:
// the answer is the cluster's RBAC, whatever the roles and bindings are called today.
import { ROLE_RBAC } from '../install/rbac';
import { ROLE_WORKLOADS } from '../install/workloads';

export interface Permission {
  verb: string;
  group: string;
  resource: string;
  /** Granted within the control-plane namespace only; otherwise cluster-wide. */
  controlPlaneNamespaceOnly?: boolean;
}

export interface Component {
  role: string;
  deployment: string;
  service: string;
  servicePort: number;
  serviceAccount: string;
  permissions: Permission[];
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}

function permissionsOf(rules: readonly Rule[] = [], controlPlaneNamespaceOnly?: boolean): Permission[] {
  return rules.flatMap((rule) =>
    (rule.apiGroups ?? ['']).flatMap((group) =>
      (rule.resources ?? []).flatMap((resource) => rule.verbs.map((verb) => ({ verb, group, resource, ...(controlPlaneNamespaceOnly ? { controlPlaneNamespaceOnly } : {}) }))),
    ),
  );
}

export const COMPONENTS: readonly Component[] = (Object.keys(ROLE_WORKLOADS) as Array<keyof typeof ROLE_WORKLOADS>).map((role) => {
  const workload = ROLE_WORKLOADS[role];
  const rbac = ROLE_RBAC[role];
  return {
    role,
    deployment: workload.deployment,
    service: workload.service,
    servicePort: workload.servicePort,
    serviceAccount: rbac.serviceAccount,
    permissions: [...permissionsOf(rbac.clusterRules), ...permissionsOf(rbac.namespaceRules, true)],
  };
});

/** `deployments.apps`, `pods`: how kubectl names a resource. */
export const qualifiedResource = (p: { group: string; resource: string }) => (p.group ? `${p.resource}.${p.group}` : p.resource);
