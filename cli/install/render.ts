// Every object of the install, in the order `kubectl apply -f -` must create them (the namespace before what
// lives in it, RBAC before the pods that need it, the APIService and the webhook configuration last: the API server
// calls tap and the injector only once they exist), each validated with kubernetes-models before anything is printed.
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { APIService } from 'kubernetes-models/apiregistration.k8s.io/v1/APIService';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { INJECT } from '../../common/contract';
import { injectorWebhookConfiguration } from '../../injector/webhook-configuration';
import { describe, KubeObject, schemaProblems } from '../manifests';
import { tapApiService } from './api-service';
import { meshConfigMap, trustRootsConfigMap } from './config-maps';
import { componentLabels, InstallPlan, NAMESPACE } from './plan';
import { clusterRoleBindings, clusterRoles, roleBindings, roles, serviceAccounts } from './rbac';
import { secrets } from './secrets';
import { deployments, podDisruptionBudgets, services } from './workloads';

type ModelClass = Parameters<typeof schemaProblems>[0];

/** Every kind install emits, in apply order, with its schema. `weft uninstall` deletes them in reverse. */
export const INSTALL_KINDS: ReadonlyArray<{ apiVersion: string; kind: string; model: ModelClass; namespaced: boolean }> = [
  { apiVersion: 'v1', kind: 'Namespace', model: Namespace, namespaced: false },
  { apiVersion: 'v1', kind: 'ServiceAccount', model: ServiceAccount, namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', model: ClusterRole, namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', model: ClusterRoleBinding, namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', model: Role, namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', model: RoleBinding, namespaced: true },
  { apiVersion: 'v1', kind: 'ConfigMap', model: ConfigMap, namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', model: Secret, namespaced: true },
  { apiVersion: 'v1', kind: 'Service', model: Service, namespaced: true },
  { apiVersion: 'apps/v1', kind: 'Deployment', model: Deployment, namespaced: true },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', model: PodDisruptionBudget, namespaced: true },
  { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', model: APIService, namespaced: false },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', model: MutatingWebhookConfiguration, namespaced: false },
];

function namespace(): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, labels: componentLabels('config'), annotations: { [INJECT]: 'disabled' } } } as KubeObject;
}

export function renderInstall(plan: InstallPlan): KubeObject[] {
  const webhook = injectorWebhookConfiguration({
    caBundlePem: plan.certificates.webhook.caPem,
    controlPlaneNamespace: NAMESPACE,
    failurePolicy: plan.values['webhook.failurePolicy'],
    timeoutSeconds: plan.values['webhook.timeoutSeconds'],
  });
  webhook.metadata = { ...webhook.metadata, labels: { ...webhook.metadata?.labels, ...componentLabels('injector') } };
  const objects = [
    namespace(),
    ...serviceAccounts(),
    ...clusterRoles(),
    ...clusterRoleBindings(),
    ...roles(),
    ...roleBindings(),
    meshConfigMap(plan),
    trustRootsConfigMap(plan),
    ...secrets(plan),
    ...services(),
    ...deployments(plan),
    ...podDisruptionBudgets(plan),
    tapApiService(plan),
    webhook,
  ] as KubeObject[];
  for (const object of objects) validated(object);
  return objects;
}

/** A shape mistake here is weft's own: nothing is printed, and the error says which object and field. */
function validated(object: KubeObject): void {
  const kind = INSTALL_KINDS.find((k) => k.apiVersion === object.apiVersion && k.kind === object.kind);
  if (!kind) throw new Error(`internal error: install made a ${object.apiVersion} ${object.kind}, which INSTALL_KINDS does not list`);
  const problems = schemaProblems(kind.model, object);
  if (problems.length > 0) throw new Error(`internal error: the ${describe(object)} install made is not a valid ${object.kind}: ${problems.slice(0, 3).join('; ')}`);
}
