// Opaque TCP between two proxies (ALPN transport.weft.io/v1) starts with a small header that names the port
// the client meant to reach, like Linkerd's transport header: the far proxy sends the bytes there without
// protocol detection, which matters for server-speaks-first protocols. The ALPN name carries the version.
import type { Duplex } from 'node:stream';

const MAGIC = Buffer.from('weft', 'latin1');
export const TRANSPORT_HEADER_BYTES = MAGIC.length + 2;

export function encodeTransportHeader(port: number): Buffer {
  const header = Buffer.alloc(TRANSPORT_HEADER_BYTES);
  MAGIC.copy(header);
  header.writeUInt16BE(port, MAGIC.length);
  return header;
}

/** The target port, or an error saying what arrived instead. Leaves the bytes after the header unread. */
export function readTransportHeader(socket: Duplex, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (result: number | Error) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onGone).off('close', onGone).off('error', onGone);
      socket.pause();
      if (buffered.length > TRANSPORT_HEADER_BYTES) socket.unshift(buffered.subarray(TRANSPORT_HEADER_BYTES));
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      if (buffered.length < TRANSPORT_HEADER_BYTES) return;
      const port = buffered.readUInt16BE(MAGIC.length);
      if (!buffered.subarray(0, MAGIC.length).equals(MAGIC) || port === 0) {
        finish(new Error(`not a weft transport header (first bytes ${buffered.subarray(0, TRANSPORT_HEADER_BYTES).toString('hex')})`));
      } else finish(port);
    };
    const onGone = () => finish(new Error('the peer closed before sending the transport header'));
    const timer = setTimeout(() => finish(new Error(`no transport header within ${timeoutMs}ms`)), timeoutMs);
    socket.on('data', onData).once('end', onGone).once('close', onGone).once('error', onGone);
  });
}
