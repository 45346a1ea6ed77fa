// The control plane as `weft check` expects to find it: one Deployment, Service and service account per role, and
// what each role must be allowed to do in the Kubernetes API (what its code calls), checked with
// SubjectAccessReviews so the answer is the cluster's RBAC, whatever the roles and bindings are named.
import {
  CONTROL_PLANE_SERVICES,
  CONTROLLER_DESTINATION_ADDR,
  CONTROLLER_IDENTITY_ADDR,
  CONTROLLER_TAP_ADDR,
  INJECTOR_SERVICE,
  INJECTOR_SERVICE_PORT,
} from '../../common/contract';
import { parseHostPort } from '../../common/address';

export interface Permission {
  verb: string;
  group: string;
  resource: string;
  /** Within the control-plane namespace only; otherwise cluster-wide. */
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

const port = (addr: string) => parseHostPort(addr)!.port;
const watchable = (group: string, resource: string, only?: boolean): Permission[] =>
  ['list', 'watch'].map((verb) => ({ verb, group, resource, controlPlaneNamespaceOnly: only }));

export const COMPONENTS: readonly Component[] = [
  {
    role: 'identity',
    deployment: CONTROL_PLANE_SERVICES.identity.service,
    service: CONTROL_PLANE_SERVICES.identity.service,
    servicePort: port(CONTROLLER_IDENTITY_ADDR),
    serviceAccount: CONTROL_PLANE_SERVICES.identity.serviceAccount,
    permissions: [{ verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' }],
  },
  {
    role: 'destination',
    deployment: CONTROL_PLANE_SERVICES.destination.service,
    service: CONTROL_PLANE_SERVICES.destination.service,
    servicePort: port(CONTROLLER_DESTINATION_ADDR),
    serviceAccount: CONTROL_PLANE_SERVICES.destination.serviceAccount,
    permissions: [...watchable('', 'services'), ...watchable('discovery.k8s.io', 'endpointslices'), ...watchable('', 'pods')],
  },
  {
    role: 'injector',
    deployment: INJECTOR_SERVICE,
    service: INJECTOR_SERVICE,
    servicePort: INJECTOR_SERVICE_PORT,
    serviceAccount: INJECTOR_SERVICE,
    permissions: [
      ...watchable('', 'namespaces'),
      ...watchable('', 'configmaps', true),
      { verb: 'get', group: 'apps', resource: 'replicasets' },
      { verb: 'get', group: 'batch', resource: 'jobs' },
    ],
  },
  {
    role: 'tap',
    deployment: CONTROL_PLANE_SERVICES.tap.service,
    service: CONTROL_PLANE_SERVICES.tap.service,
    servicePort: port(CONTROLLER_TAP_ADDR),
    serviceAccount: CONTROL_PLANE_SERVICES.tap.serviceAccount,
    permissions: [{ verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' }, ...watchable('', 'pods')],
  },
];

/** `deployments.apps`, `pods`: how kubectl names a resource. */
export const qualifiedResource = (p: { group: string; resource: string }) => (p.group ? `${p.resource}.${p.group}` : p.resource);
