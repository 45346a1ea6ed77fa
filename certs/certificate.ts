// Certificate authorities: the trust anchor (self-signed root) and the issuer (intermediate) it signs.
import { KeyObject, randomBytes } from 'node:crypto';
import { CLOCK_SKEW_MS, CONTROL_PLANE_NAMESPACE, DEFAULT_TRUST_DOMAIN } from '../common/contract';
import { Asn1, commonNameName, decode, ecdsaWithSha256, explicit, integerBytes, sequence, signed, smallInteger, time } from './asn1';
import { CertificateInputError } from './errors';
import { authorityKeyIdentifier, basicConstraints, keyUsage, subjectAltName, subjectKeyIdentifier } from './extensions';
import { generateKeyPair, keyIdentifier, loadPrivateKey, samePublicKey, spkiDer } from './keys';
import { parseOneCertificate, ParsedCertificate, trustDomainOf } from './parse';
import { PEM_LABEL, toPem } from './pem';

export const ANCHOR_VALIDITY_MS = 87_600 * 3_600_000; // 10 years
export const ISSUER_VALIDITY_MS = 8_760 * 3_600_000; // 1 year

/** A certificate with its private key, as written to disk (ca.crt + ca.key, issuer.crt + issuer.key). */
export interface CertifiedKey {
  certPem: string;
  keyPem: string;
}

/** A loaded CA: parsed once, then used for many signatures. */
export interface Authority {
  cert: ParsedCertificate;
  key: KeyObject;
  keyId: Buffer;
}

export interface CertificateSpec {
  subjectCommonName: string;
  subjectSpki: Buffer; // the subject's public key, SPKI DER
  issuer: Authority | 'self';
  signingKey: KeyObject;
  notBefore: number;
  notAfter: number;
  extensions: Asn1[];
}

/**
 * Everything common to anchor, issuer and leaf: TBSCertificate v3, signed with ECDSA P-256 / SHA-256.
 * Callers backdate notBefore by the allowed clock skew, so a peer whose clock runs a little behind
 * already accepts a certificate made a moment ago.
 */
export function buildCertificate(spec: CertificateSpec): string {
  const subjectName = commonNameName(spec.subjectCommonName);
  const tbs = sequence([
    explicit(0, smallInteger(2)), // v3
    integerBytes(serialNumber()),
    ecdsaWithSha256(),
    spec.issuer === 'self' ? subjectName : decode(spec.issuer.cert.subjectDer, 'issuer name'),
    sequence([time(spec.notBefore), time(spec.notAfter)]),
    subjectName,
    decode(spec.subjectSpki, 'public key'),
    explicit(3, sequence(spec.extensions)),
  ]);
  return toPem(signed(tbs, spec.signingKey), PEM_LABEL.certificate);
}

/** 127 random bits, positive, with no leading zero octet so the INTEGER is minimal DER. */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes;
}

export interface AnchorOptions {
  trustDomain?: string;
  validityMs?: number;
  now?: number;
}

export function createTrustAnchor(options: AnchorOptions = {}): CertifiedKey {
  const trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const now = options.now ?? Date.now();
  const { privateKeyPem } = generateKeyPair();
  const key = loadPrivateKey(privateKeyPem);
  const spki = spkiDer(key);
  const keyId = keyIdentifier(spki);
  const certPem = buildCertificate({
    subjectCommonName: `root.${CONTROL_PLANE_NAMESPACE}.${trustDomain}`,
    subjectSpki: spki,
    issuer: 'self',
    signingKey: key,
    notBefore: now - CLOCK_SKEW_MS,
    notAfter: now + (options.validityMs ?? ANCHOR_VALIDITY_MS),
    extensions: caExtensions(trustDomain, keyId, keyId),
  });
  return { certPem, keyPem: privateKeyPem };
}

export interface IssuerOptions {
  anchor: Authority;
  validityMs?: number;
  now?: number;
}

/** The intermediate the identity service signs leaves with; it may not sign further CAs (pathLen 0). */
export function createIssuer(options: IssuerOptions): CertifiedKey {
  const { anchor } = options;
  const now = options.now ?? Date.now();
  const trustDomain = trustDomainOf(anchor.cert) ?? DEFAULT_TRUST_DOMAIN;
  const { privateKeyPem } = generateKeyPair();
  const spki = spkiDer(loadPrivateKey(privateKeyPem));
  const certPem = buildCertificate({
    subjectCommonName: `identity.${CONTROL_PLANE_NAMESPACE}.${trustDomain}`,
    subjectSpki: spki,
    issuer: anchor,
    signingKey: anchor.key,
    notBefore: now - CLOCK_SKEW_MS,
    notAfter: Math.min(now + (options.validityMs ?? ISSUER_VALIDITY_MS), anchor.cert.notAfter),
    extensions: caExtensions(trustDomain, keyIdentifier(spki), anchor.keyId, 0),
  });
  return { certPem, keyPem: privateKeyPem };
}

function caExtensions(trustDomain: string, keyId: Buffer, authorityKeyId: Buffer, pathLen?: number): Asn1[] {
  return [
    basicConstraints(true, pathLen),
    keyUsage(['keyCertSign', 'cRLSign']),
    subjectKeyIdentifier(keyId),
    authorityKeyIdentifier(authorityKeyId),
    // The SPIFFE trust-domain ID, so the issuer and leaves below know which domain they belong to.
    subjectAltName({ dnsNames: [], uris: [`spiffe://${trustDomain}`] }),
  ];
}

/** Loads a CA from PEM and checks that the key belongs to the certificate and that it is a CA. */
export function loadAuthority(pair: CertifiedKey): Authority {
  const cert = parseOneCertificate(pair.certPem, 'the CA certificate');
  const key = loadPrivateKey(pair.keyPem);
  if (!cert.isCA) throw new CertificateInputError(`${cert.subject} is not a CA certificate, so it cannot sign others`);
  if (!samePublicKey(cert.x509.publicKey, key)) {
    throw new CertificateInputError(`the private key does not belong to the certificate ${cert.subject}`);
  }
  // Children name their issuer's key by the issuer's own identifier: CAs made by other tools may not
  // have derived it the way we do.
  return { cert, key, keyId: cert.subjectKeyId ?? keyIdentifier(spkiDer(cert.x509.publicKey)) };
}
