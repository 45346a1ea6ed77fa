// A control-plane service's own identity: a key made here, kept in memory, and a certificate for the
// service's name, renewed like a proxy's (proxy/identity/local-identity.ts). The destination (and tap) roles
// get theirs from Certify with their service-account token, exactly as a proxy does; the identity role signs
// its own (identity/issuer-signed.ts).
import * as fs from 'node:fs';
import { HostPort } from '../../common/address';
import { systemClock } from '../../common/clock';
import { controlPlaneIdentityName, ControlPlaneService } from '../../common/contract';
import { UsageError } from '../../common/errors';
import type { Logger } from '../../common/log';
import { CertifyClient } from '../../proxy/identity/certify-client';
import { LocalIdentity } from '../../proxy/identity/local-identity';
import type { ControlPlaneTlsMetrics } from './metrics';

export interface CertifiedIdentityOptions {
  service: Exclude<ControlPlaneService, 'identity'>;
  /** Where the identity service listens. */
  identityAddr: HostPort;
  tokenFile: string;
  trustAnchorsPem: string;
  trustDomain: string;
  log: Logger;
  metrics: ControlPlaneTlsMetrics;
}

export function certifiedIdentity(options: CertifiedIdentityOptions): LocalIdentity {
  const { service, trustDomain, trustAnchorsPem } = options;
  return new LocalIdentity({
    name: controlPlaneIdentityName(service, trustDomain),
    trustAnchorsPem,
    client: new CertifyClient({
      addr: options.identityAddr,
      server: { name: controlPlaneIdentityName('identity', trustDomain), trustAnchorsPem },
      tokenFile: options.tokenFile,
    }),
    clock: systemClock,
    log: options.log,
    metrics: options.metrics.certificate(service),
  });
}

/**
 * Starts `identity` and resolves once it holds its first certificate (it keeps renewing after that), or
 * rejects when `signal` aborts first. A server starts only then: it has nothing to serve TLS with before.
 */
export function firstCertificate(identity: LocalIdentity, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      identity.close();
      reject(new Error(`stopped while waiting for a certificate for ${identity.name}`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    identity.onChange(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    identity.start();
  });
}

/** `--trust-anchors`, read once at start: a new bundle takes a restart (rolling, since roles are stateless). */
export function readTrustAnchors(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--trust-anchors ${file} cannot be read (${(err as NodeJS.ErrnoException).code}); give the trust anchors' PEM file (ca.crt)`);
  }
}
