// Service accounts and least-privilege RBAC, one set per role: each may do only what its code does against the
// Kubernetes API (identity: TokenReviews; destination: read the facts it serves; the injector: namespaces, its
// ConfigMap, pod owners; tap: the facts it finds proxies by, SubjectAccessReviews for the people who tap, and, as
// every aggregated API server, the front-proxy settings in kube-system through the built-in reader Role).
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { CONTROL_PLANE_SERVICES, EXTENSION_APISERVER_AUTHENTICATION, INJECTOR_SERVICE } from '../../common/contract';
import { Component, metadata, NAMESPACE } from './plan';

type RoleComponent = Exclude<Component, 'config'>;

const READ = ['get', 'list', 'watch'];
/** What the cluster facts (controller/cluster/kubernetes.ts) list and watch. */
const CLUSTER_FACTS: IPolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'services'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  // A pod's workload, for its endpoints' dst_deployment…: its ReplicaSet's or Job's controller.
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: READ },
];

interface RoleRbac {
  serviceAccount: string;
  clusterRules: IPolicyRule[];
  /** Rules inside the control-plane namespace only. */
  namespaceRules?: IPolicyRule[];
}

export const ROLE_RBAC: Record<RoleComponent, RoleRbac> = {
  identity: {
    serviceAccount: CONTROL_PLANE_SERVICES.identity.serviceAccount,
    clusterRules: [{ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] }],
  },
  destination: { serviceAccount: CONTROL_PLANE_SERVICES.destination.serviceAccount, clusterRules: CLUSTER_FACTS },
  injector: {
    serviceAccount: INJECTOR_SERVICE,
    clusterRules: [
      { apiGroups: [''], resources: ['namespaces'], verbs: READ },
      // A pod names its ReplicaSet or Job; the workload a person wrote is read through it.
      { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] },
    ],
    namespaceRules: [{ apiGroups: [''], resources: ['configmaps'], verbs: READ }],
  },
  tap: {
    serviceAccount: CONTROL_PLANE_SERVICES.tap.serviceAccount,
    clusterRules: [...CLUSTER_FACTS, { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] }],
  },
};

const COMPONENTS = Object.keys(ROLE_RBAC) as RoleComponent[];

export function serviceAccounts(): IServiceAccount[] {
  return COMPONENTS.map((c) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(ROLE_RBAC[c].serviceAccount, c) }));
}

const subject = (c: RoleComponent) => [{ kind: 'ServiceAccount', name: ROLE_RBAC[c].serviceAccount, namespace: NAMESPACE }];
/** Cluster-scoped names carry the namespace, as two meshes in one cluster must not share them. */
const clusterName = (c: RoleComponent) => `${NAMESPACE}-${ROLE_RBAC[c].serviceAccount}`;

export function clusterRoles(): IClusterRole[] {
  return COMPONENTS.map((c) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: metadata(clusterName(c), c, 'cluster'),
    rules: ROLE_RBAC[c].clusterRules,
  }));
}

export function clusterRoleBindings(): IClusterRoleBinding[] {
  return COMPONENTS.map((c) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: metadata(clusterName(c), c, 'cluster'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName(c) },
    subjects: subject(c),
  }));
}

const withNamespaceRules = () => COMPONENTS.filter((c) => ROLE_RBAC[c].namespaceRules);

export function roles(): IRole[] {
  return withNamespaceRules().map((c) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: metadata(ROLE_RBAC[c].serviceAccount, c),
    rules: ROLE_RBAC[c].namespaceRules!,
  }));
}

/** tap may read kube-system/extension-apiserver-authentication (the requestheader CA), as Linkerd's tap does. */
function authReaderRoleBinding(): IRoleBinding {
  const { namespace, readerRole } = EXTENSION_APISERVER_AUTHENTICATION;
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { ...metadata(`${clusterName('tap')}-auth-reader`, 'tap'), namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: readerRole },
    subjects: subject('tap'),
  };
}

export function roleBindings(): IRoleBinding[] {
  return [...ownRoleBindings(), authReaderRoleBinding()];
}

function ownRoleBindings(): IRoleBinding[] {
  return withNamespaceRules().map((c) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: metadata(ROLE_RBAC[c].serviceAccount, c),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ROLE_RBAC[c].serviceAccount },
    subjects: subject(c),
  }));
}
