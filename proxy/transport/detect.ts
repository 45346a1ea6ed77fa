// Protocol detection (CONTRACT.md): read at most 1 KiB or wait at most the detect timeout. The HTTP/2
// preface means h2, a method token followed by a space means HTTP/1.x (the HTTP parser then answers 400 to a
// malformed request line), anything else, or the timeout, means opaque TCP. Bytes that start like the preface
// (`PRI * HTTP/2.0`) but are not the whole of it are a broken HTTP/2 client, answered GOAWAY(PROTOCOL_ERROR)
// (accept.ts) rather than a 400 it would not understand. The bytes read are put back.
import type { Socket } from 'node:net';
import type { Guard } from './guard';

export type Protocol = 'http1' | 'h2' | 'bad-h2-preface' | 'opaque';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** `PRI * HTTP/2.0`: past this, the client has said it speaks HTTP/2. */
const H2_PREFACE_REQUEST_LINE = 'PRI * HTTP/2.0'.length;
export const DETECT_MAX_BYTES = 1024;
/** Longest registered HTTP method is 17 characters (VERSION-CONTROL); allow some slack for extensions. */
const MAX_METHOD_LENGTH = 24;

/** The protocol these first bytes show, or undefined when more bytes are needed to tell. */
export function classify(buf: Buffer): Protocol | undefined {
  const n = Math.min(buf.length, H2_PREFACE.length);
  const matched = matchingPrefix(buf, n);
  if (matched === n) return n === H2_PREFACE.length ? 'h2' : undefined;
  if (matched >= H2_PREFACE_REQUEST_LINE) return 'bad-h2-preface';
  for (let i = 0; i < buf.length && i <= MAX_METHOD_LENGTH; i++) {
    const c = buf[i];
    if (c === 0x20) return i > 0 ? 'http1' : 'opaque';
    if (c < 0x41 || c > 0x5a) return 'opaque'; // methods are upper-case tokens
  }
  return buf.length > MAX_METHOD_LENGTH ? 'opaque' : undefined;
}

/** What detection settles on when no more bytes will come (timeout, or the peer ended): `buf` is all there is. */
export function classifyFinal(buf: Buffer): Protocol | undefined {
  if (buf.length === 0) return undefined;
  return matchingPrefix(buf, Math.min(buf.length, H2_PREFACE.length)) >= H2_PREFACE_REQUEST_LINE ? 'bad-h2-preface' : 'opaque';
}

/** How many of the first `n` bytes agree with the HTTP/2 preface. */
function matchingPrefix(buf: Buffer, n: number): number {
  let i = 0;
  while (i < n && buf[i] === H2_PREFACE[i]) i++;
  return i;
}

/**
 * Reads from the socket until the protocol is known, then unshifts what it read and leaves the socket paused.
 * Resolves undefined when the peer closed or failed before saying anything useful. Its callbacks run in the
 * connection's guard.
 */
export function detectProtocol(socket: Socket, timeoutMs: number, guard: Guard): Promise<Protocol | undefined> {
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (protocol: Protocol | undefined) => {
      clearTimeout(timer);
      socket.off('readable', onReadable).off('close', onGone).off('error', onGone);
      socket.pause();
      if (buffered.length > 0) socket.unshift(buffered);
      resolve(protocol);
    };
    // 'readable' rather than 'data': when the peer half-closes, this is the last moment the bytes can be put
    // back, since Node refuses unshift() once 'end' has been emitted. Putting them back here also keeps 'end'
    // from being emitted until the next owner has read them.
    const onReadable = guard.wrap(() => {
      const chunk = socket.read() as Buffer | null;
      if (chunk !== null) buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const protocol = classify(buffered);
      if (protocol) finish(protocol);
      else if (buffered.length >= DETECT_MAX_BYTES) finish('opaque');
      // A peer that half-closes after a few bytes still gets its bytes forwarded as opaque TCP.
      else if (peerEnded(socket)) finish(classifyFinal(buffered));
    });
    const onGone = guard.wrap(() => finish(classifyFinal(buffered)));
    const timer = setTimeout(guard.wrap(() => finish(classifyFinal(buffered) ?? 'opaque')), timeoutMs);
    socket.on('readable', onReadable).once('close', onGone).once('error', onGone);
  });
}

/** Whether the peer's FIN has arrived, though 'end' may not be emitted yet (Node has no public getter for it). */
function peerEnded(socket: Socket): boolean {
  return (socket as unknown as { _readableState: { ended: boolean } })._readableState.ended;
}
