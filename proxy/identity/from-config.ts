// Turns the identity part of the configuration into the proxy's LocalIdentity, or explains in one line
// which variable is missing or wrong (exit 2) — the proxy never silently falls back to plaintext, neither
// between proxies nor to the identity service.
import { parseCertificates } from '../../certs';
import type { Clock } from '../../common/clock';
import { ENV } from '../../common/contract';
import { UsageError } from '../../common/errors';
import type { Logger } from '../../common/log';
import type { IdentityConfig } from '../config';
import type { IdentityMetrics } from '../metrics/identity';
import { CertifyClient } from './certify-client';
import { LocalIdentity } from './local-identity';

export function createLocalIdentity(config: IdentityConfig, metrics: IdentityMetrics, clock: Clock, log: Logger): LocalIdentity {
  const missing = [
    [ENV.identitySvcAddr, config.svcAddr],
    [ENV.identityTokenFile, config.tokenFile],
    [ENV.identityLocalName, config.localName],
    [ENV.identityTrustAnchors, config.trustAnchorsPem],
    // Derived from the local name when that is an identity name; otherwise it must be given.
    [ENV.identitySvcName, config.svcName],
  ]
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new UsageError(`mTLS identity needs ${missing.join(', ')}; set them, or set ${ENV.identityDisabled}=true to run without mTLS`);
  }
  checkTrustAnchors(config.trustAnchorsPem!);
  return new LocalIdentity({
    name: config.localName!,
    trustAnchorsPem: config.trustAnchorsPem!,
    client: new CertifyClient({ addr: config.svcAddr!, server: { name: config.svcName!, trustAnchorsPem: config.trustAnchorsPem! }, tokenFile: config.tokenFile! }),
    clock,
    log,
    metrics,
  });
}

function checkTrustAnchors(pem: string): void {
  let anchors;
  try {
    anchors = parseCertificates(pem);
  } catch (err) {
    throw new UsageError(`${ENV.identityTrustAnchors} holds a certificate that does not parse (${(err as Error).message})`);
  }
  if (anchors.length === 0) throw new UsageError(`${ENV.identityTrustAnchors} must hold the PEM of the trust anchors (ca.crt), not a file name`);
  const notCa = anchors.find((a) => !a.isCA);
  if (notCa) throw new UsageError(`${ENV.identityTrustAnchors}: ${notCa.subject} is not a CA certificate; give the trust anchors (ca.crt)`);
}
