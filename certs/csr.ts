// PKCS#10 certificate signing requests (RFC 2986): the proxy makes one from its own key, the identity
// service reads it. What a CSR asks for is only reported here; the issuer decides what to sign.
import { verify } from 'node:crypto';
import {
  Asn1,
  children,
  commonNameName,
  decode,
  fromBinary,
  implicitConstructed,
  oid,
  OID,
  rawChildren,
  readName,
  readOid,
  sequence,
  set,
  signed,
  smallInteger,
} from './asn1';
import { CertificateInputError, readingInput } from './errors';
import { readExtensions, subjectAltName } from './extensions';
import { loadPrivateKey, loadPublicKey, spkiDer } from './keys';
import { PEM_LABEL, pemBlocks, toPem } from './pem';

export interface CsrNames {
  dnsNames?: string[];
  uris?: string[];
}

/**
 * A CSR for `name` (subject CN and DNS SAN) signed with `privateKeyPem`. `also` adds further SANs; weft
 * proxies never need them, but an issuer must be tested against CSRs that ask for more than they may have.
 */
export function createCsr(name: string, privateKeyPem: string, also: CsrNames = {}): string {
  const key = loadPrivateKey(privateKeyPem);
  const requested = { dnsNames: [name, ...(also.dnsNames ?? [])], uris: also.uris ?? [] };
  const extensionRequest = sequence([oid(OID.extensionRequest), set([sequence([subjectAltName(requested)])])]);
  const info = sequence([
    smallInteger(0), // version 1
    commonNameName(name),
    decode(spkiDer(key), 'public key'),
    implicitConstructed(0, [extensionRequest]),
  ]);
  return toPem(signed(info, key), PEM_LABEL.csr);
}

export interface ParsedCsr {
  subject: string;
  commonName?: string;
  dnsNames: string[];
  uris: string[];
  publicKeyPem: string;
  publicKeySpki: Buffer; // the same key as DER, which the issuer copies into the leaf as is
  /** False when the CSR was not signed by the key it carries: it proves nothing and must be refused. */
  signatureValid: boolean;
}

/** Reads a CSR given as PEM text or as DER bytes (the identity service receives DER). */
export function parseCsr(pemOrDer: string | Buffer): ParsedCsr {
  const der = typeof pemOrDer === 'string' ? pemBlocks(pemOrDer, PEM_LABEL.csr)[0] : pemOrDer;
  if (!der) throw new CertificateInputError('no PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----) found');
  return readingInput('the certificate request', () => readCsr(der));
}

function readCsr(der: Buffer): ParsedCsr {
  const [request, algorithm, signature] = children(decode(der, 'the certificate request'));
  if (!request || !algorithm || !signature) throw new CertificateInputError('the certificate request is incomplete');
  const algorithmOid = readOid(children(algorithm)[0]);
  if (algorithmOid !== OID.ecdsaWithSha256) {
    throw new CertificateInputError(`the certificate request is signed with ${algorithmOid}; weft accepts ECDSA with SHA-256 only`);
  }
  const [, subject, , attributes] = children(request);
  // The signature covers the request exactly as received, so verify raw bytes rather than a re-encoding.
  const [requestDer] = rawChildren(der);
  const spki = rawChildren(requestDer)[2];
  if (!subject || !spki) throw new CertificateInputError('the certificate request has no subject or public key');
  const publicKey = loadPublicKey(spki);
  const signatureBytes = fromBinary(signature.value as string).subarray(1); // after the unused-bits octet
  const name = readName(subject);
  const requested = readExtensions(extensionRequestOf(attributes ? children(attributes) : []));
  return {
    subject: name.text,
    commonName: name.commonName,
    dnsNames: requested.dnsNames,
    uris: requested.uris,
    publicKeyPem: toPem(spki, PEM_LABEL.publicKey),
    publicKeySpki: spki,
    signatureValid: verify('sha256', requestDer, publicKey, signatureBytes),
  };
}

function extensionRequestOf(attributes: Asn1[]): Asn1 | undefined {
  for (const attribute of attributes) {
    const [type, values] = children(attribute);
    if (readOid(type) === OID.extensionRequest) return children(values)[0];
  }
  return undefined;
}

/**
 * Everything the CSR asks for beyond `allowed` (CN, DNS and URI SANs): an issuer refuses a CSR that
 * returns anything, rather than signing only part of what was asked and surprising the requester.
 */
export function namesBeyond(csr: ParsedCsr, allowed: readonly string[]): string[] {
  const asked = [...(csr.commonName === undefined ? [] : [csr.commonName]), ...csr.dnsNames, ...csr.uris];
  return [...new Set(asked.filter((n) => !allowed.includes(n)))];
}
