// The APIService that makes tap an aggregated API (tap.weft.io/v1alpha1): the Kubernetes API server proxies
// `/apis/tap.weft.io/v1alpha1/…` to the weft-tap Service over TLS, trusting only the caBundle (tap's serving CA).
import type { IAPIService } from 'kubernetes-models/apiregistration.k8s.io/v1/APIService';
import { CONTROL_PLANE_SERVICES, TAP_API_GROUP, TAP_API_SERVICE, TAP_API_VERSION, TAP_SERVICE_PORT } from '../../common/contract';
import { InstallPlan, metadata, NAMESPACE } from './plan';

export function tapApiService(plan: InstallPlan): IAPIService {
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: metadata(TAP_API_SERVICE, 'tap', 'cluster'),
    spec: {
      group: TAP_API_GROUP,
      version: TAP_API_VERSION,
      service: { name: CONTROL_PLANE_SERVICES.tap.service, namespace: NAMESPACE, port: TAP_SERVICE_PORT },
      caBundle: Buffer.from(plan.certificates.tap.caPem).toString('base64'),
      // As Linkerd's tap: below the built-in groups, one version.
      groupPriorityMinimum: 1000,
      versionPriority: 100,
    },
  };
}
