// What a person or a metric wants to know about certificates: names, validity, time left.
import { CertificateInputError } from './errors';
import { parseCertificates, ParsedCertificate, parseOneCertificate } from './parse';

export interface CertificateSummary {
  subject: string;
  issuer: string;
  dnsNames: string[];
  uris: string[];
  isCA: boolean;
  notBefore: string; // ISO 8601
  notAfter: string;
  secondsLeft: number; // negative once expired
  daysLeft: number; // whole days, rounded down
}

export interface Expiry {
  notAfter: Date;
  secondsLeft: number;
}

export function expiryOf(cert: ParsedCertificate, now: number): Expiry {
  return { notAfter: new Date(cert.notAfter), secondsLeft: Math.floor((cert.notAfter - now) / 1000) };
}

/** Expiry of the first certificate in `certPem` (the leaf of a chain). */
export function certificateExpiry(certPem: string, now = Date.now()): Expiry {
  return expiryOf(parseOneCertificate(certPem, 'the certificate'), now);
}

/** One summary per certificate in the PEM text, in file order (a chain reads leaf first). */
export function summarizeCertificates(pem: string, now = Date.now()): CertificateSummary[] {
  const certs = parseCertificates(pem);
  if (certs.length === 0) throw new CertificateInputError('no PEM certificate (-----BEGIN CERTIFICATE-----) found');
  return certs.map((cert) => {
    const { secondsLeft } = expiryOf(cert, now);
    return {
      subject: cert.subject,
      issuer: cert.issuer,
      dnsNames: cert.dnsNames,
      uris: cert.uris,
      isCA: cert.isCA,
      notBefore: new Date(cert.notBefore).toISOString(),
      notAfter: new Date(cert.notAfter).toISOString(),
      secondsLeft,
      daysLeft: Math.floor(secondsLeft / 86_400),
    };
  });
}
