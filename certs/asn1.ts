// ASN.1 building blocks for X.509 (RFC 5280) and PKCS#10 (RFC 2986), on node-forge's ASN.1 layer.
// forge works in "binary strings" (one char per byte); these helpers keep Buffers at our boundaries.
import { KeyObject, sign } from 'node:crypto';
import forge from 'node-forge';
import { CertificateInputError } from './errors';

const { asn1 } = forge;
const { Class, Type } = asn1;
export type Asn1 = forge.asn1.Asn1;

export const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  extensionRequest: '1.2.840.113549.1.9.14',
} as const;

const NAME_ATTRIBUTE_LABELS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
};

export const toBinary = (bytes: Buffer): string => bytes.toString('binary');
export const fromBinary = (text: string): Buffer => Buffer.from(text, 'binary');

export function encode(node: Asn1): Buffer {
  return fromBinary(asn1.toDer(node).getBytes());
}

/** Bit strings stay raw (first byte = unused bits) so signatures and keys read back byte for byte. */
export function decode(der: Buffer, what: string): Asn1 {
  try {
    const options = { strict: true, parseAllBytes: true, decodeBitStrings: false };
    // @types/node-forge declares only the older boolean form of the options argument.
    return asn1.fromDer(toBinary(der), options as unknown as boolean);
  } catch (err) {
    throw new CertificateInputError(`${what} is not valid DER (${(err as Error).message})`);
  }
}

export const sequence = (items: Asn1[]): Asn1 => asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items);
export const set = (items: Asn1[]): Asn1 => asn1.create(Class.UNIVERSAL, Type.SET, true, items);
export const oid = (dotted: string): Asn1 =>
  asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(dotted).getBytes());
export const smallInteger = (n: number): Asn1 =>
  asn1.create(Class.UNIVERSAL, Type.INTEGER, false, asn1.integerToDer(n).getBytes());
/** `bytes` must already be a minimal two's-complement encoding (e.g. a serial number with the top bit clear). */
export const integerBytes = (bytes: Buffer): Asn1 => asn1.create(Class.UNIVERSAL, Type.INTEGER, false, toBinary(bytes));
export const booleanTrue = (): Asn1 => asn1.create(Class.UNIVERSAL, Type.BOOLEAN, false, '\xff');
export const octetString = (bytes: Buffer): Asn1 =>
  asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, toBinary(bytes));
export const bitString = (bytes: Buffer, unusedBits = 0): Asn1 =>
  asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, String.fromCharCode(unusedBits) + toBinary(bytes));
export const utf8String = (text: string): Asn1 =>
  asn1.create(Class.UNIVERSAL, Type.UTF8, false, forge.util.encodeUtf8(text));
export const explicit = (tag: number, inner: Asn1): Asn1 => asn1.create(Class.CONTEXT_SPECIFIC, tag, true, [inner]);
export const implicitPrimitive = (tag: number, bytes: string): Asn1 =>
  asn1.create(Class.CONTEXT_SPECIFIC, tag, false, bytes);
export const implicitConstructed = (tag: number, items: Asn1[]): Asn1 =>
  asn1.create(Class.CONTEXT_SPECIFIC, tag, true, items);

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on; whole seconds. */
export function time(ms: number): Asn1 {
  const date = new Date(Math.floor(ms / 1000) * 1000);
  return date.getUTCFullYear() < 2050
    ? asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

export function readTime(node: Asn1): number {
  const text = node.value as string;
  const date = node.type === Type.UTCTIME ? asn1.utcTimeToDate(text) : asn1.generalizedTimeToDate(text);
  return date.getTime();
}

/** A Name holding only a common name: all weft certificates are named by CN plus SANs. */
export const commonNameName = (commonName: string): Asn1 =>
  sequence([set([sequence([oid(OID.commonName), utf8String(commonName)])])]);

export interface ReadName {
  text: string; // `CN=web.demo…, O=…`, in certificate order
  commonName?: string;
}

export function readName(name: Asn1): ReadName {
  const parts: string[] = [];
  let commonName: string | undefined;
  for (const rdn of children(name)) {
    for (const attribute of children(rdn)) {
      const [type, value] = children(attribute);
      const typeOid = readOid(type);
      const text = value.type === Type.UTF8 ? forge.util.decodeUtf8(value.value as string) : (value.value as string);
      if (typeOid === OID.commonName) commonName ??= text;
      parts.push(`${NAME_ATTRIBUTE_LABELS[typeOid] ?? typeOid}=${text}`);
    }
  }
  return { text: parts.join(', '), commonName };
}

export const readOid = (node: Asn1): string => asn1.derToOid(node.value as string);

export function children(node: Asn1): Asn1[] {
  if (!Array.isArray(node.value)) throw new CertificateInputError('expected a constructed ASN.1 element');
  return node.value;
}

/** Raw bytes of the elements inside one DER SEQUENCE, so signed parts are verified exactly as received. */
export function rawChildren(der: Buffer): Buffer[] {
  const outer = readHeader(der, 0);
  const items: Buffer[] = [];
  let offset = outer.contentStart;
  while (offset < outer.end) {
    const inner = readHeader(der, offset);
    items.push(der.subarray(offset, inner.end));
    offset = inner.end;
  }
  return items;
}

/** The content octets of one DER element (after tag and length). */
export function rawContent(der: Buffer): Buffer {
  const header = readHeader(der, 0);
  return der.subarray(header.contentStart, header.end);
}

function readHeader(der: Buffer, offset: number): { contentStart: number; end: number } {
  if (offset + 2 > der.length) throw new CertificateInputError('DER ends in the middle of an element');
  const first = der[offset + 1];
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new CertificateInputError('DER length field is not supported');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[contentStart + i];
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw new CertificateInputError('DER element is longer than its input');
  return { contentStart, end };
}

/** SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING signature }: the shape of certificates and CSRs alike. */
export function signed(toBeSigned: Asn1, privateKey: KeyObject): Buffer {
  const tbsDer = encode(toBeSigned);
  const signature = sign('sha256', tbsDer, privateKey); // DER-encoded ECDSA-Sig-Value, as X.509 wants
  return encode(sequence([toBeSigned, ecdsaWithSha256(), bitString(signature)]));
}

/** ECDSA algorithm identifiers carry no parameters (RFC 5758 3.2), not even NULL. */
export const ecdsaWithSha256 = (): Asn1 => sequence([oid(OID.ecdsaWithSha256)]);
