// Certificates read back: node:crypto's X509Certificate checks signatures and issuance, forge's ASN.1
// reads the fields node 20 does not expose (SAN lists, pathLen, validity as dates).
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { Asn1, children, decode, encode, readName, readTime } from './asn1';
import { CertificateInputError, readingInput } from './errors';
import { readExtensions, ReadExtensions } from './extensions';
import { PEM_LABEL, pemBlocks, toPem } from './pem';

export interface ParsedCertificate extends ReadExtensions {
  pem: string;
  x509: X509Certificate;
  subject: string;
  subjectDer: Buffer; // copied into the issuer field of certificates this one signs
  commonName?: string;
  issuer: string;
  serialNumber: string; // hex, as openssl prints it
  notBefore: number; // ms since the epoch
  notAfter: number;
}

export function parseCertificate(der: Buffer): ParsedCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (err) {
    throw new CertificateInputError(`not an X.509 certificate (${(err as Error).message})`);
  }
  return readingInput('the certificate', () => readCertificate(der, x509));
}

function readCertificate(der: Buffer, x509: X509Certificate): ParsedCertificate {
  const tbs = children(children(decode(der, 'certificate'))[0]);
  // The version field is [0] EXPLICIT and absent for v1 certificates; every later field has a fixed place.
  const fields = tbs[0].tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? tbs.slice(1) : tbs;
  const [, , issuerName, validity, subjectName] = fields;
  const [notBefore, notAfter] = children(validity);
  const subject = readName(subjectName);
  return {
    pem: toPem(der, PEM_LABEL.certificate),
    x509,
    subject: subject.text,
    subjectDer: encode(subjectName),
    commonName: subject.commonName,
    issuer: readName(issuerName).text,
    serialNumber: x509.serialNumber,
    notBefore: readTime(notBefore),
    notAfter: readTime(notAfter),
    ...readExtensions(extensionsOf(fields)),
  };
}

/** Every certificate in a PEM text (a single certificate, a chain or a trust bundle), in order. */
export function parseCertificates(pem: string): ParsedCertificate[] {
  return pemBlocks(pem, PEM_LABEL.certificate).map(parseCertificate);
}

/** The first certificate of a PEM text; `what` names the text in the error ("the issuer certificate"). */
export function parseOneCertificate(pem: string, what: string): ParsedCertificate {
  const all = parseCertificates(pem);
  if (all.length === 0) throw new CertificateInputError(`${what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return all[0];
}

function extensionsOf(fields: Asn1[]): Asn1 | undefined {
  const wrapper = fields.find((f) => f.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && f.type === 3);
  return wrapper ? children(wrapper)[0] : undefined;
}

export function isValidAt(cert: ParsedCertificate, now: number): boolean {
  return cert.notBefore <= now && now <= cert.notAfter;
}

/** The trust domain a CA certificate names with its SPIFFE trust-domain URI SAN (`spiffe://cluster.local`). */
export function trustDomainOf(cert: ParsedCertificate): string | undefined {
  for (const uri of cert.uris) {
    const m = /^spiffe:\/\/([^/]+)$/.exec(uri);
    if (m) return m[1];
  }
  return undefined;
}
