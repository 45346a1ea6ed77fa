// TLS serving certificates for names outside the mesh's identity scheme: a self-signed CA that vouches only for
// them, and a server leaf carrying DNS names (the injector's `weft-proxy-injector.weft.svc`, which the Kubernetes
// API server checks against the webhook's caBundle).
import { CLOCK_SKEW_MS } from '../common/contract';
import { Authority, buildCertificate, CertifiedKey, loadAuthority } from './certificate';
import { CertificateInputError } from './errors';
import { authorityKeyIdentifier, basicConstraints, EKU, extKeyUsage, keyUsage, subjectAltName, subjectKeyIdentifier } from './extensions';
import { generateKeyPair, keyIdentifier, loadPrivateKey, spkiDer } from './keys';

export const SERVING_VALIDITY_MS = 8_760 * 3_600_000; // 1 year

export interface ServingCertificate {
  /** The CA certificate clients trust (a webhook's caBundle). */
  caPem: string;
  /** The server's leaf and its key: `tls.crt` and `tls.key` of a kubernetes.io/tls Secret. */
  certPem: string;
  keyPem: string;
  notAfter: number;
}

export interface ServingOptions {
  /** DNS names the leaf is valid for; the first is also its subject CN. */
  dnsNames: string[];
  /** The CA's subject CN. */
  caCommonName: string;
  validityMs?: number;
  now?: number;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * A fresh CA and a leaf it signed for `dnsNames`, both valid for `validityMs`. The CA's key is not kept: nothing
 * else is ever signed with it, so renewing means making a new pair (and a new caBundle).
 */
export function createServingCertificate(options: ServingOptions): ServingCertificate {
  const [first] = options.dnsNames;
  const bad = options.dnsNames.find((name) => !DNS_NAME.test(name));
  if (first === undefined || bad !== undefined) {
    throw new CertificateInputError(`a serving certificate needs lower-case DNS names, got ${JSON.stringify(bad ?? options.dnsNames)}`);
  }
  const now = options.now ?? Date.now();
  const notBefore = now - CLOCK_SKEW_MS;
  const notAfter = now + (options.validityMs ?? SERVING_VALIDITY_MS);

  const ca = createPrivateCa(options.caCommonName, notBefore, notAfter);
  const leaf = issuePrivateLeaf(ca.authority, { commonName: first, use: 'server', dnsNames: options.dnsNames, notBefore, notAfter });
  return { caPem: ca.caPem, ...leaf, notAfter: Math.floor(notAfter / 1000) * 1000 };
}

/** A CA of its own for names outside the mesh (a serving certificate's, an aggregator's client identity). */
export function createPrivateCa(commonName: string, notBefore: number, notAfter: number): { caPem: string; authority: Authority } {
  const caKeyPem = generateKeyPair().privateKeyPem;
  const caKey = loadPrivateKey(caKeyPem);
  const caSpki = spkiDer(caKey);
  const caPem = buildCertificate({
    subjectCommonName: commonName,
    subjectSpki: caSpki,
    issuer: 'self',
    signingKey: caKey,
    notBefore,
    notAfter,
    extensions: [
      basicConstraints(true, 0),
      keyUsage(['keyCertSign', 'cRLSign']),
      subjectKeyIdentifier(keyIdentifier(caSpki)),
      authorityKeyIdentifier(keyIdentifier(caSpki)),
    ],
  });
  return { caPem, authority: loadAuthority({ certPem: caPem, keyPem: caKeyPem } satisfies CertifiedKey) };
}

export interface PrivateLeafOptions {
  commonName: string;
  /** A TLS server's (with DNS names) or a TLS client's certificate. */
  use: 'server' | 'client';
  dnsNames?: string[];
  notBefore: number;
  notAfter: number;
}

/** A leaf and its fresh key, signed by a private CA. */
export function issuePrivateLeaf(ca: Authority, options: PrivateLeafOptions): { certPem: string; keyPem: string } {
  const keyPem = generateKeyPair().privateKeyPem;
  const spki = spkiDer(loadPrivateKey(keyPem));
  const certPem = buildCertificate({
    subjectCommonName: options.commonName,
    subjectSpki: spki,
    issuer: ca,
    signingKey: ca.key,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    extensions: [
      basicConstraints(false),
      keyUsage(['digitalSignature']),
      extKeyUsage([options.use === 'server' ? EKU.serverAuth : EKU.clientAuth]),
      subjectKeyIdentifier(keyIdentifier(spki)),
      authorityKeyIdentifier(ca.keyId),
      ...(options.dnsNames ? [subjectAltName({ dnsNames: options.dnsNames, uris: [] })] : []),
    ],
  });
  return { certPem, keyPem };
}

/** The name the Kubernetes API server verifies a control-plane Service's certificate against (its in-cluster DNS name). */
export function serviceServerName(service: string, namespace: string): string {
  return `${service}.${namespace}.svc`;
}

export interface ServiceCertificateOptions {
  service: string;
  namespace: string;
  /** Default one year. */
  validityMs?: number;
  now?: number;
}

/**
 * A fresh CA (for the caBundle of a webhook configuration or an APIService) and the leaf for the Service's
 * in-cluster name (for its kubernetes.io/tls Secret): the API server is no mesh peer, so not the trust anchor's.
 */
export function serviceServingCertificate(options: ServiceCertificateOptions): ServingCertificate {
  return createServingCertificate({
    dnsNames: [serviceServerName(options.service, options.namespace)],
    caCommonName: `${options.service}-ca.${options.namespace}`,
    validityMs: options.validityMs,
    now: options.now,
  });
}
