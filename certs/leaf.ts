// Workload (leaf) certificates: the issuer names them from the identity it was given, never from the CSR.
import {
  CLOCK_SKEW_MS,
  CONTROL_PLANE_NAMESPACE,
  DEFAULT_TRUST_DOMAIN,
  identityName,
  LEAF_LIFETIME_MS,
  spiffeId,
} from '../common/contract';
import { Authority, buildCertificate } from './certificate';
import { ParsedCsr } from './csr';
import { CertificateInputError, IssuerExpiredError } from './errors';
import {
  authorityKeyIdentifier,
  basicConstraints,
  EKU,
  extKeyUsage,
  keyUsage,
  subjectAltName,
  subjectKeyIdentifier,
} from './extensions';
import { keyIdentifier, loadPublicKey, spkiDer } from './keys';
import { isValidAt } from './parse';

export interface WorkloadIdentity {
  serviceAccount: string;
  namespace: string;
  trustDomain?: string;
  controlPlaneNamespace?: string;
}

/** The names a workload's leaf carries: the DNS-style identity name and its SPIFFE ID. */
export function namesOf(identity: WorkloadIdentity): { name: string; spiffeId: string } {
  const trustDomain = identity.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const controlPlane = identity.controlPlaneNamespace ?? CONTROL_PLANE_NAMESPACE;
  return {
    name: identityName(identity.serviceAccount, identity.namespace, trustDomain, controlPlane),
    spiffeId: spiffeId(identity.serviceAccount, identity.namespace, trustDomain),
  };
}

export interface LeafOptions {
  issuer: Authority;
  publicKeyPem: string;
  identity: WorkloadIdentity;
  lifetimeMs?: number;
  now?: number;
}

export interface IssuedLeaf {
  certPem: string;
  /** Leaf then issuer: what a TLS peer needs to build the path to a trust anchor. */
  chainPem: string;
  notAfter: number; // ms since the epoch
}

export function issueLeaf(options: LeafOptions): IssuedLeaf {
  return signLeaf(options, spkiDer(loadPublicKey(options.publicKeyPem)));
}

function signLeaf(options: Omit<LeafOptions, 'publicKeyPem'>, subjectSpki: Buffer): IssuedLeaf {
  const { issuer } = options;
  const now = options.now ?? Date.now();
  assertCanSign(issuer, now);
  const { name, spiffeId: uri } = namesOf(options.identity);
  // A leaf never outlives its issuer: past that point no peer could build a valid chain for it anyway.
  const notAfter = Math.min(now + (options.lifetimeMs ?? LEAF_LIFETIME_MS), issuer.cert.notAfter);
  const certPem = buildCertificate({
    subjectCommonName: name,
    subjectSpki,
    issuer,
    signingKey: issuer.key,
    notBefore: Math.max(now - CLOCK_SKEW_MS, issuer.cert.notBefore), // never earlier than its issuer
    notAfter,
    extensions: [
      basicConstraints(false),
      keyUsage(['digitalSignature']),
      extKeyUsage([EKU.serverAuth, EKU.clientAuth]),
      subjectKeyIdentifier(keyIdentifier(subjectSpki)),
      authorityKeyIdentifier(issuer.keyId),
      subjectAltName({ dnsNames: [name], uris: [uri] }),
    ],
  });
  return { certPem, chainPem: certPem + issuer.cert.pem, notAfter: Math.floor(notAfter / 1000) * 1000 };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Throws IssuerExpiredError, saying what to do, when `issuer` cannot sign at `now`. */
export function assertCanSign(issuer: Authority, now: number): void {
  if (isValidAt(issuer.cert, now)) return;
  const early = now < issuer.cert.notBefore;
  const state = early ? `is not valid before ${iso(issuer.cert.notBefore)}` : `expired at ${iso(issuer.cert.notAfter)}`;
  throw new IssuerExpiredError(`the issuer certificate ${issuer.cert.subject} ${state}; create a new one with \`weft certs issuer\``);
}

export interface CsrLeafOptions extends Omit<LeafOptions, 'publicKeyPem'> {
  csr: ParsedCsr;
}

/**
 * Signs the CSR's key for `identity`. The caller checks first what the CSR asks for (`namesBeyond`) and
 * refuses a CSR for another name; this only insists that the CSR proves possession of its key.
 */
export function issueLeafForCsr(options: CsrLeafOptions): IssuedLeaf {
  if (!options.csr.signatureValid) {
    throw new CertificateInputError('the certificate request is not signed by the key it contains');
  }
  return signLeaf(options, options.csr.publicKeySpki);
}
