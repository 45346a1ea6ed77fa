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

/** The control plane's gRPC services: Kubernetes Service and the service account whose identity its TLS carries. */
export const CONTROL_PLANE_SERVICES = {
  identity: { service: 'weft-identity', serviceAccount: 'weft-identity' },
  destination: { service: 'weft-dst', serviceAccount: 'weft-destination' },
  tap: { service: 'weft-tap', serviceAccount: 'weft-tap' },
} as const;
