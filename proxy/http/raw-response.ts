// A proxy error written straight onto a socket: one the HTTP server has handed over (CONNECT, Upgrade), or one
// whose request the HTTP/1 parser rejected.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROXY_ERROR } from '../../common/contract';
import type { ProxyError } from './errors';

export function writeRawError(socket: Duplex, error: ProxyError): void {
  const body = `${error.message}\n`;
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n` +
      `${PROXY_ERROR}: ${error.reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
