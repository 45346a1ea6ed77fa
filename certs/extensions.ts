// X.509 v3 extensions weft writes and reads (RFC 5280 4.2), shared by certificates and CSRs.
import forge from 'node-forge';
import {
  Asn1,
  booleanTrue,
  children,
  decode,
  encode,
  fromBinary,
  implicitPrimitive,
  octetString,
  oid,
  readOid,
  sequence,
  smallInteger,
  toBinary,
  bitString,
} from './asn1';

const EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

export const EKU = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;

// KeyUsage is a named BIT STRING; bit 0 is the most significant bit of the first octet.
const KEY_USAGE_BIT = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;
export type KeyUsage = keyof typeof KEY_USAGE_BIT;

const GENERAL_NAME_TAG = { dns: 2, uri: 6 } as const;

export interface SubjectAltNames {
  dnsNames: string[];
  uris: string[];
}

function extension(extnId: string, critical: boolean, value: Asn1): Asn1 {
  // DER leaves out DEFAULT values, so a non-critical extension carries no BOOLEAN at all.
  const fields = critical ? [oid(extnId), booleanTrue()] : [oid(extnId)];
  return sequence([...fields, octetString(encode(value))]);
}

export const basicConstraints = (ca: boolean, pathLen?: number): Asn1 =>
  extension(EXT.basicConstraints, true, sequence(ca ? [booleanTrue(), ...(pathLen === undefined ? [] : [smallInteger(pathLen)])] : []));

export function keyUsage(usages: KeyUsage[]): Asn1 {
  const bits = usages.map((u) => KEY_USAGE_BIT[u]);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  // DER: trailing zero bits of a named bit list are dropped and counted as unused.
  return extension(EXT.keyUsage, true, bitString(bytes, 7 - (highest & 7)));
}

export const extKeyUsage = (purposes: string[]): Asn1 => extension(EXT.extKeyUsage, false, sequence(purposes.map(oid)));

/** Non-critical: every weft certificate also has a subject CN (RFC 5280 4.2.1.6). */
export const subjectAltName = (names: SubjectAltNames): Asn1 =>
  extension(
    EXT.subjectAltName,
    false,
    sequence([
      ...names.dnsNames.map((n) => implicitPrimitive(GENERAL_NAME_TAG.dns, n)),
      ...names.uris.map((u) => implicitPrimitive(GENERAL_NAME_TAG.uri, u)),
    ]),
  );

export const subjectKeyIdentifier = (keyId: Buffer): Asn1 =>
  extension(EXT.subjectKeyIdentifier, false, octetString(keyId));

export const authorityKeyIdentifier = (keyId: Buffer): Asn1 =>
  extension(EXT.authorityKeyIdentifier, false, sequence([implicitPrimitive(0, toBinary(keyId))]));

export interface ReadExtensions extends SubjectAltNames {
  isCA: boolean;
  pathLen?: number;
  extKeyUsage: string[];
  subjectKeyId?: Buffer;
}

/** Reads the extensions weft cares about from an `Extensions` SEQUENCE; unknown ones are skipped. */
export function readExtensions(extensions: Asn1 | undefined): ReadExtensions {
  const result: ReadExtensions = { dnsNames: [], uris: [], isCA: false, extKeyUsage: [] };
  for (const ext of extensions ? children(extensions) : []) {
    const fields = children(ext);
    const id = readOid(fields[0]);
    const value = decode(fromBinary(fields[fields.length - 1].value as string), `extension ${id}`);
    if (id === EXT.subjectAltName) readGeneralNames(value, result);
    else if (id === EXT.basicConstraints) readBasicConstraints(value, result);
    else if (id === EXT.extKeyUsage) result.extKeyUsage = children(value).map(readOid);
    else if (id === EXT.subjectKeyIdentifier) result.subjectKeyId = fromBinary(value.value as string);
  }
  return result;
}

function readGeneralNames(value: Asn1, into: SubjectAltNames): void {
  for (const name of children(value)) {
    if (name.type === GENERAL_NAME_TAG.dns) into.dnsNames.push(name.value as string);
    else if (name.type === GENERAL_NAME_TAG.uri) into.uris.push(name.value as string);
  }
}

function readBasicConstraints(value: Asn1, into: ReadExtensions): void {
  // Both fields are optional: cA defaults to FALSE, pathLenConstraint to "no limit".
  for (const field of children(value)) {
    if (field.type === forge.asn1.Type.BOOLEAN) into.isCA = field.value !== '\x00';
    else if (field.type === forge.asn1.Type.INTEGER) into.pathLen = forge.asn1.derToInteger(field.value as string);
  }
}
