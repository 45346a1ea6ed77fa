// `weft check` (CONTRACT.md "Install and check"): its categories, in the order they run, and the limits its
// checks hold the cluster to.

export const CHECK_CATEGORIES = {
  kubernetesApi: 'kubernetes-api',
  kubernetesVersion: 'kubernetes-version',
  preKubernetesSetup: 'pre-kubernetes-setup',
  weftExistence: 'weft-existence',
  weftConfig: 'weft-config',
  weftIdentity: 'weft-identity',
  weftWebhooks: 'weft-webhooks-and-apisvc-tls',
  weftControlPlaneProxy: 'weft-control-plane-proxy',
  controlPlaneVersion: 'control-plane-version',
  weftHa: 'weft-ha-checks',
  weftDataPlane: 'weft-data-plane',
  weftIdentityDataPlane: 'weft-identity-data-plane',
} as const;
export type CheckCategoryName = (typeof CHECK_CATEGORIES)[keyof typeof CHECK_CATEGORIES];

/** `-o json`: each check's result (CONTRACT.md). */
export const CHECK_RESULTS = ['success', 'warning', 'error'] as const;
export type CheckResultName = (typeof CHECK_RESULTS)[number];

/**
 * The oldest Kubernetes `weft install` supports: every API it emits (apps/v1, policy/v1 PodDisruptionBudgets,
 * batch/v1 CronJobs, discovery.k8s.io/v1 EndpointSlices, projected service-account tokens with an audience) is GA
 * there.
 */
export const MIN_KUBERNETES_VERSION = { major: 1, minor: 21 } as const;

/** A certificate with less time left than this is a warning: time to rotate it before it becomes an outage. */
export const CERTIFICATE_RENEWAL_WARNING_DAYS = 60;
