// Protocol detection (CONTRACT.md): read at most 1 KiB or wait at most the detect timeout. The HTTP/2
// preface means h2, a method token followed by a space means HTTP/1.x (the HTTP parser then answers 400 to a
// malformed request line), anything else, or the timeout, means opaque TCP. The bytes read are put back.
import type { Socket } from 'node:net';

export type Protocol = 'http1' | 'h2' | 'opaque';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const DETECT_MAX_BYTES = 1024;
/** Longest registered HTTP method is 17 characters (VERSION-CONTROL); allow some slack for extensions. */
const MAX_METHOD_LENGTH = 24;

/** The protocol these first bytes show, or undefined when more bytes are needed to tell. */
export function classify(buf: Buffer): Protocol | undefined {
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.compare(H2_PREFACE, 0, n, 0, n) === 0) return n === H2_PREFACE.length ? 'h2' : undefined;
  for (let i = 0; i < buf.length && i <= MAX_METHOD_LENGTH; i++) {
    const c = buf[i];
    if (c === 0x20) return i > 0 ? 'http1' : 'opaque';
    if (c < 0x41 || c > 0x5a) return 'opaque'; // methods are upper-case tokens
  }
  return buf.length > MAX_METHOD_LENGTH ? 'opaque' : undefined;
}

/**
 * Reads from the socket until the protocol is known, then unshifts what it read and leaves the socket paused.
 * Resolves undefined when the peer closed or failed before saying anything useful.
 */
export function detectProtocol(socket: Socket, timeoutMs: number): Promise<Protocol | undefined> {
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
    const onReadable = () => {
      const chunk = socket.read() as Buffer | null;
      if (chunk !== null) buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const protocol = classify(buffered);
      if (protocol) finish(protocol);
      else if (buffered.length >= DETECT_MAX_BYTES) finish('opaque');
      // A peer that half-closes after a few bytes still gets its bytes forwarded as opaque TCP.
      else if (peerEnded(socket)) finish(buffered.length > 0 ? 'opaque' : undefined);
    };
    const onGone = () => finish(buffered.length > 0 ? 'opaque' : undefined);
    const timer = setTimeout(() => finish('opaque'), timeoutMs);
    socket.on('readable', onReadable).once('close', onGone).once('error', onGone);
  });
}

/** Whether the peer's FIN has arrived, though 'end' may not be emitted yet (Node has no public getter for it). */
function peerEnded(socket: Socket): boolean {
  return (socket as unknown as { _readableState: { ended: boolean } })._readableState.ended;
}
