// Reads the server name (SNI) out of the first TLS record, a ClientHello, without taking part in the
// handshake: the inbound side decides from it whether the connection is mTLS for this proxy, TLS for
// someone else (passed through to the app), or not TLS at all.

/** Record header (5 bytes) plus the largest record TLS allows (2^14 bytes). */
export const MAX_CLIENT_HELLO_BYTES = 5 + (1 << 14);

const CONTENT_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST = 0x00;

export type ClientHello =
  /** The bytes are not the start of a TLS record: plaintext. */
  | { kind: 'not-tls' }
  /** A TLS record has begun but not all of it has arrived. */
  | { kind: 'incomplete' }
  /** A complete ClientHello; `serverName` is absent when the client sent no SNI. */
  | { kind: 'client-hello'; serverName?: string }
  /** It claims to be a TLS handshake but does not parse as a ClientHello. */
  | { kind: 'malformed'; reason: string };

class Truncated extends Error {}

/** Classifies the first bytes a client sent. Pure: no I/O, never throws. */
export function parseClientHello(buf: Buffer): ClientHello {
  if (buf.length === 0) return { kind: 'incomplete' };
  if (buf[0] !== CONTENT_HANDSHAKE) return { kind: 'not-tls' };
  if (buf.length < 3) return { kind: 'incomplete' };
  // Record versions 3.0 (SSLv3 framing used by TLS 1.0 ClientHellos) to 3.4; anything else is not TLS.
  if (buf[1] !== 0x03 || buf[2] > 0x04) return { kind: 'not-tls' };
  if (buf.length < 5) return { kind: 'incomplete' };
  const recordLength = buf.readUInt16BE(3);
  if (recordLength === 0 || recordLength > 1 << 14) return { kind: 'malformed', reason: `TLS record length ${recordLength} is out of range` };
  if (buf.length < 5 + recordLength) return { kind: 'incomplete' };
  try {
    return { kind: 'client-hello', serverName: serverNameOf(buf.subarray(5, 5 + recordLength)) };
  } catch (err) {
    const reason = err instanceof Truncated ? 'the ClientHello is cut short or its lengths do not add up' : (err as Error).message;
    return { kind: 'malformed', reason };
  }
}

/** Walks handshake → ClientHello → extensions → server_name (RFC 8446 4.1.2, RFC 6066 3). */
function serverNameOf(record: Buffer): string | undefined {
  const r = new Reader(record);
  if (r.u8() !== HANDSHAKE_CLIENT_HELLO) throw new Error('the first handshake message is not a ClientHello');
  // A ClientHello split over several records would need reassembly; no real client's is that large.
  const body = new Reader(r.bytes(r.u24()));
  body.skip(2 + 32); // legacy_version, random
  body.skip(body.u8()); // legacy_session_id
  body.skip(body.u16()); // cipher_suites
  body.skip(body.u8()); // legacy_compression_methods
  if (body.done()) return undefined; // no extensions at all (TLS 1.0-era clients)
  const extensions = new Reader(body.bytes(body.u16()));
  while (!extensions.done()) {
    const type = extensions.u16();
    const data = extensions.bytes(extensions.u16());
    if (type !== EXTENSION_SERVER_NAME) continue;
    const list = new Reader(data);
    const names = new Reader(list.bytes(list.u16()));
    while (!names.done()) {
      const nameType = names.u8();
      const name = names.bytes(names.u16());
      if (nameType === NAME_TYPE_HOST) return name.toString('latin1');
    }
    return undefined;
  }
  return undefined;
}

class Reader {
  private offset = 0;

  constructor(private readonly buf: Buffer) {}

  done(): boolean {
    return this.offset >= this.buf.length;
  }

  u8(): number {
    return this.take(1)[0];
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  u24(): number {
    const b = this.take(3);
    return (b[0] << 16) | b.readUInt16BE(1);
  }

  bytes(n: number): Buffer {
    return this.take(n);
  }

  skip(n: number): void {
    this.take(n);
  }

  private take(n: number): Buffer {
    if (this.offset + n > this.buf.length) throw new Truncated();
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}
