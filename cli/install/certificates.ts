// The certificates an install carries: the trust anchors, the issuer they signed (absent when an external issuer
// such as cert-manager owns its Secret), and the serving certificates the API server calls the injector and tap's
// aggregated API with, each with the CA of its caBundle.
// Generated when none are supplied; supplied ones (from files, or read back from the cluster by `weft upgrade`)
// are refused with the reason unless they chain, are within their validity and are ECDSA P-256.
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import {
  CertificateInputError,
  CertifiedKey,
  createIssuer,
  createTrustAnchor,
  loadAuthority,
  parseCertificates,
  trustDomainOf,
  verifyChain,
} from '../../certs';
import type { ParsedCertificate } from '../../certs/parse';
import { serviceServerName, serviceServingCertificate } from '../../certs';
import { CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICES, INJECTOR_SERVICE } from '../../common/contract';

export interface WebhookCertificate {
  /** tls.crt: the leaf first, then any intermediates. */
  certPem: string;
  keyPem: string;
  /** The CA the API server trusts it by (the caBundle). */
  caPem: string;
}

export interface InstallCertificates {
  trustAnchorsPem: string;
  /** Undefined with an external issuer: its Secret is someone else's. */
  issuer?: CertifiedKey;
  webhook: WebhookCertificate;
  /** tap's aggregated API: the APIService's caBundle is its CA. */
  tap: WebhookCertificate;
}

/** A PEM text and where it came from (a flag and its file, or a Secret), for the error that names it. */
export interface Pem {
  text: string;
  source: string;
}

export interface SuppliedCertificates {
  trustAnchors?: Pem;
  issuer?: { cert: Pem; key: Pem };
  /** `ca` may be left out when `cert` holds the chain up to its CA (or is self-signed). */
  webhook?: { cert: Pem; key: Pem; ca?: Pem };
  tap?: { cert: Pem; key: Pem; ca?: Pem };
}

export interface CertificateChoice {
  supplied: SuppliedCertificates;
  externalIssuer: boolean;
  trustDomain: string;
  now?: number;
}

/** A supplied certificate or key that cannot be used; the message names its source and the reason. */
export class CertificateRefusedError extends Error {
  override name = 'CertificateRefusedError';
}

const refuse = (pem: Pem, reason: string): never => {
  throw new CertificateRefusedError(`${pem.source}: ${reason}`);
};

export function installCertificates(choice: CertificateChoice): InstallCertificates {
  const { supplied, externalIssuer, trustDomain } = choice;
  const now = choice.now ?? Date.now();
  const serving = (service: string, given: SuppliedCertificates['webhook']) =>
    given ? checkedServing(given, serviceServerName(service, CONTROL_PLANE_NAMESPACE), now) : serviceServingCertificate({ service, namespace: CONTROL_PLANE_NAMESPACE, now });
  const webhook = serving(INJECTOR_SERVICE, supplied.webhook);
  const tap = serving(CONTROL_PLANE_SERVICES.tap.service, supplied.tap);
  if (externalIssuer) {
    if (supplied.issuer) throw new CertificateRefusedError('an external issuer owns the issuer Secret: leave out the issuer certificate and key');
    if (!supplied.trustAnchors) throw new CertificateRefusedError('an external issuer needs the trust anchors its issuer chains to (--identity-trust-anchors-file)');
    return { trustAnchorsPem: checkedAnchors(supplied.trustAnchors, trustDomain, now).text, webhook, tap };
  }
  if (!supplied.trustAnchors && !supplied.issuer) {
    const anchor = createTrustAnchor({ trustDomain, now });
    return { trustAnchorsPem: anchor.certPem, issuer: createIssuer({ anchor: loadAuthority(anchor), now }), webhook, tap };
  }
  if (!supplied.trustAnchors || !supplied.issuer) {
    throw new CertificateRefusedError('give the trust anchors together with the issuer certificate and key they signed, or none of them to have them generated');
  }
  const anchors = checkedAnchors(supplied.trustAnchors, trustDomain, now);
  return { trustAnchorsPem: anchors.text, issuer: checkedIssuer(supplied.issuer, anchors, now), webhook, tap };
}

interface CheckedAnchors {
  text: string;
  certs: ParsedCertificate[];
}

function parsed(pem: Pem): ParsedCertificate[] {
  try {
    const certs = parseCertificates(pem.text);
    if (certs.length === 0) refuse(pem, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
    return certs;
  } catch (err) {
    if (err instanceof CertificateInputError) refuse(pem, err.message);
    throw err;
  }
}

function checkedAnchors(pem: Pem, trustDomain: string, now: number): CheckedAnchors {
  const certs = parsed(pem);
  for (const cert of certs) {
    usable(pem, cert, now);
    if (!cert.isCA) refuse(pem, `${cert.subject} is not a CA certificate, so it cannot be a trust anchor`);
    const domain = trustDomainOf(cert);
    if (domain !== undefined && domain !== trustDomain) {
      refuse(pem, `${cert.subject} is for trust domain ${domain}, not ${trustDomain}: pass --set trustDomain=${domain}, or anchors for ${trustDomain}`);
    }
  }
  return { text: pem.text, certs };
}

function checkedIssuer(issuer: { cert: Pem; key: Pem }, anchors: CheckedAnchors, now: number): CertifiedKey {
  const [cert] = parsed(issuer.cert);
  usable(issuer.cert, cert, now);
  try {
    loadAuthority({ certPem: issuer.cert.text, keyPem: issuer.key.text });
  } catch (err) {
    if (err instanceof CertificateInputError) refuse(err.message.includes('private key') ? issuer.key : issuer.cert, err.message);
    throw err;
  }
  if (!anchors.certs.some((anchor) => signedBy(cert.x509, anchor.x509))) {
    refuse(issuer.cert, `${cert.subject} is not signed by any of the trust anchors (${anchors.certs.map((a) => a.subject).join(', ')}), so proxies would refuse every certificate it signs`);
  }
  return { certPem: issuer.cert.text, keyPem: issuer.key.text };
}

/** A supplied serving pair (the injector's, tap's), checked for `serverName`: what the API server verifies. */
function checkedServing(webhook: { cert: Pem; key: Pem; ca?: Pem }, serverName: string, now: number): WebhookCertificate {
  const chain = parsed(webhook.cert);
  const [leaf] = chain;
  usable(webhook.cert, leaf, now);
  const ca = webhook.ca ? parsed(webhook.ca)[0] : caOf(webhook.cert, chain);
  if (webhook.ca) usable(webhook.ca, ca, now);
  keyOfLeaf(webhook.key, leaf);
  // A self-signed leaf is its own CA; verifyChain wants a CA above a leaf, so that case is checked here.
  if (ca === leaf) {
    if (!leaf.dnsNames.includes(serverName)) refuse(webhook.cert, `is for ${leaf.dnsNames.join(', ') || leaf.subject}, not ${serverName}`);
  } else {
    const verified = verifyChain({ chainPem: chain.filter((c) => c !== ca).map((c) => c.pem).join(''), anchorsPem: ca.pem, name: serverName, now });
    if (!verified.ok) refuse(webhook.cert, verified.reason);
  }
  return { certPem: webhook.cert.text, keyPem: webhook.key.text, caPem: ca.pem };
}

/** The CA the caBundle holds: the self-signed certificate at the end of the chain. */
function caOf(pem: Pem, chain: ParsedCertificate[]): ParsedCertificate {
  const last = chain[chain.length - 1];
  if (!signedBy(last.x509, last.x509)) {
    refuse(pem, `does not chain to a CA: ${last.subject} is signed by ${last.issuer}, which the file does not hold; put the chain up to its CA in the file (leaf first), as the caBundle is made from it`);
  }
  return last;
}

function keyOfLeaf(key: Pem, leaf: ParsedCertificate): void {
  let object: KeyObject;
  try {
    object = createPrivateKey(key.text);
  } catch (err) {
    return refuse(key, `is not a PEM private key (${(err as Error).message})`);
  }
  if (!isP256(object)) refuse(key, `is ${describeKey(object)}; weft uses ECDSA P-256 (prime256v1) keys only`);
  if (!leaf.x509.checkPrivateKey(object)) refuse(key, `is not the key of ${leaf.subject}`);
}

/** Within its validity and with a P-256 key: what every certificate weft is given must be. */
function usable(pem: Pem, cert: ParsedCertificate, now: number): void {
  if (now > cert.notAfter) refuse(pem, `${cert.subject} expired at ${new Date(cert.notAfter).toISOString()}`);
  if (now < cert.notBefore) refuse(pem, `${cert.subject} is not valid before ${new Date(cert.notBefore).toISOString()}`);
  const key = cert.x509.publicKey;
  if (!isP256(key)) refuse(pem, `${cert.subject} has a ${describeKey(key)} key; weft uses ECDSA P-256 (prime256v1) only`);
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return `EC ${details?.namedCurve}`;
  if (key.asymmetricKeyType === 'rsa') return `RSA ${details?.modulusLength}-bit`;
  return String(key.asymmetricKeyType);
}

function signedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  return child.checkIssued(issuer) && child.verify(issuer.publicKey);
}
