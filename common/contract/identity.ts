// Identity names (CONTRACT.md "Identity and mTLS").
import { CONTROL_PLANE_NAMESPACE } from './annotations';

export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
export const TOKEN_AUDIENCE = 'identity.weft.io';
export const LEAF_LIFETIME_MS = 24 * 3600_000;
export const RENEW_AT_FRACTION = 0.7;
export const CLOCK_SKEW_MS = 20_000;

export function identityName(
  serviceAccount: string,
  namespace: string,
  trustDomain = DEFAULT_TRUST_DOMAIN,
  controlPlaneNamespace = CONTROL_PLANE_NAMESPACE,
): string {
  return `${serviceAccount}.${namespace}.serviceaccount.identity.${controlPlaneNamespace}.${trustDomain}`;
}

export function spiffeId(serviceAccount: string, namespace: string, trustDomain = DEFAULT_TRUST_DOMAIN): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** File names `weft certs` writes and `weft-controller identity --issuer-dir` reads (CONTRACT.md "Certificates from the CLI"). */
export const ANCHOR_FILES = { cert: 'ca.crt', key: 'ca.key' } as const;
export const ISSUER_FILES = { cert: 'issuer.crt', key: 'issuer.key' } as const;
/** The same issuer as a mounted `kubernetes.io/tls` Secret holds it (what cert-manager writes). */
export const KUBERNETES_TLS_FILES = { cert: 'tls.crt', key: 'tls.key' } as const;
/** A mounted Secret or ConfigMap: the kubelet swaps this symlink to a new timestamped directory on update. */
export const MOUNTED_DATA_LINK = '..data';

/** The control plane's gRPC services: Kubernetes Service and the service account whose identity its TLS carries. */
export const CONTROL_PLANE_SERVICES = {
  identity: { service: 'weft-identity', serviceAccount: 'weft-identity' },
  destination: { service: 'weft-dst', serviceAccount: 'weft-destination' },
  tap: { service: 'weft-tap', serviceAccount: 'weft-tap' },
} as const;

export type ControlPlaneService = keyof typeof CONTROL_PLANE_SERVICES;

/** The identity name a control-plane service's TLS certificate carries, e.g. `weft-destination.weft.serviceaccount.identity.weft.cluster.local`. */
export function controlPlaneIdentityName(
  service: ControlPlaneService,
  trustDomain = DEFAULT_TRUST_DOMAIN,
  controlPlaneNamespace = CONTROL_PLANE_NAMESPACE,
): string {
  return identityName(CONTROL_PLANE_SERVICES[service].serviceAccount, controlPlaneNamespace, trustDomain, controlPlaneNamespace);
}

const IDENTITY_NAME = /^([^.]+)\.([^.]+)\.serviceaccount\.identity\.([^.]+)\.(.+)$/;

/** The service account and namespace an identity name stands for, or undefined when it is not one. */
export function identityAccount(name: string): { serviceAccount: string; namespace: string } | undefined {
  const m = IDENTITY_NAME.exec(name);
  return m ? { serviceAccount: m[1], namespace: m[2] } : undefined;
}

/**
 * The control-plane service's name in the same mesh as `workloadName` (same control-plane namespace and trust
 * domain), or undefined when `workloadName` is not an identity name.
 */
export function controlPlaneNameBeside(service: ControlPlaneService, workloadName: string): string | undefined {
  const m = IDENTITY_NAME.exec(workloadName);
  return m ? controlPlaneIdentityName(service, m[4], m[3]) : undefined;
}
