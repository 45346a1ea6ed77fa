// HTTP/1.1 Upgrade (WebSocket and friends): the request head is written to the target as it came, the
// target's 101 comes back as it is, and from then on bytes flow opaquely. HTTP/2 cannot carry this, so it
// always travels as HTTP/1.1 on its own connection, also between two proxies.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { splice } from '../transport/opaque';
import { ProxyError, upstreamError } from './errors';
import { writeRawError } from './raw-response';

/** `connect` opens the connection to the target: plain TCP to an app, or mTLS (ALPN http/1.1) to a peer proxy. */
export async function forwardUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, connect: () => Promise<Duplex>, key: string): Promise<ProxyError | undefined> {
  let upstream;
  try {
    upstream = await connect();
  } catch (err) {
    const error = upstreamError(err as Error, key);
    writeRawError(client, error);
    return error;
  }
  upstream.write(requestHead(req));
  if (head.length > 0) upstream.write(head);
  const failure = await splice(client, upstream);
  return failure ? upstreamError(failure, key) : undefined;
}

function requestHead(req: IncomingMessage): string {
  let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${head}\r\n`;
}
