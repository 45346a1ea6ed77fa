// Inbound TLS detection: read until the first bytes tell whether a ClientHello is coming (one byte is
// enough for plaintext), then put them back and leave the socket paused for whoever serves it next.
import type { Socket } from 'node:net';
import { ClientHello, MAX_CLIENT_HELLO_BYTES, parseClientHello } from './client-hello';
import type { Guard } from './guard';

/**
 * Resolves with what the client's first bytes are. A client that says nothing until `timeoutMs` (a
 * server-speaks-first protocol) counts as plaintext; one that stops halfway through a ClientHello as
 * malformed. Resolves undefined when the peer closed or failed before sending anything. Its callbacks run in
 * the connection's guard.
 */
export function detectTls(socket: Socket, timeoutMs: number, guard: Guard): Promise<ClientHello | undefined> {
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (result: ClientHello | undefined) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onGone).off('close', onGone).off('error', onGone);
      socket.pause();
      if (buffered.length > 0) socket.unshift(buffered);
      resolve(result);
    };
    const onData = guard.wrap((chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const hello = parseClientHello(buffered);
      if (hello.kind !== 'incomplete') finish(hello);
      else if (buffered.length >= MAX_CLIENT_HELLO_BYTES) finish({ kind: 'malformed', reason: 'the ClientHello is larger than one TLS record' });
    });
    const cutShort = (): ClientHello => ({ kind: 'malformed', reason: 'the client stopped in the middle of a ClientHello' });
    const onGone = guard.wrap(() => finish(buffered.length > 0 ? cutShort() : undefined));
    const timer = setTimeout(guard.wrap(() => finish(buffered.length > 0 ? cutShort() : { kind: 'not-tls' })), timeoutMs);
    socket.on('data', onData).once('end', onGone).once('close', onGone).once('error', onGone);
  });
}
