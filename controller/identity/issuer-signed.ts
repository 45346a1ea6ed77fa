// The identity role's own serving identity. It holds the issuer, so it needs no Certify call (and no token):
// its certificate source signs the CSR directly for `weft-identity` in the control-plane namespace. The chain
// is still checked against the trust anchors like any other (proxy/identity/credentials.ts).
import { Authority, issueLeafForCsr, parseCsr, trustDomainOf } from '../../certs';
import { systemClock } from '../../common/clock';
import { CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICES, controlPlaneIdentityName, DEFAULT_TRUST_DOMAIN } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { CertificateSource } from '../../proxy/identity/certify-client';
import { CertificateMetrics, LocalIdentity } from '../../proxy/identity/local-identity';

export interface IssuerSignedOptions {
  /** The issuer in force now (re-read files may replace it). */
  issuer: () => Authority;
  trustAnchorsPem: string;
  leafLifetimeMs?: number;
  log: Logger;
  metrics: CertificateMetrics;
}

export function issuerSignedIdentity(options: IssuerSignedOptions): LocalIdentity {
  const trustDomain = trustDomainOf(options.issuer().cert) ?? DEFAULT_TRUST_DOMAIN;
  const identity = { serviceAccount: CONTROL_PLANE_SERVICES.identity.serviceAccount, namespace: CONTROL_PLANE_NAMESPACE, trustDomain };
  const signer: CertificateSource = {
    address: 'its own issuer',
    certify: async ({ csrDer }) =>
      issueLeafForCsr({ issuer: options.issuer(), csr: parseCsr(csrDer), identity, lifetimeMs: options.leafLifetimeMs, now: systemClock.now() }).chainPem,
    close: () => {},
  };
  return new LocalIdentity({
    name: controlPlaneIdentityName('identity', trustDomain),
    trustAnchorsPem: options.trustAnchorsPem,
    client: signer,
    clock: systemClock,
    log: options.log,
    metrics: options.metrics,
  });
}
