// TCP connection metrics: counted once when a connection opens and once when it closes (bytes are read off
// the socket then), never per chunk.
import type { Socket } from 'node:net';
import type { ProxyRegistry } from './registry';
import type { TcpLabels } from './tcp-series';

export type { TcpLabels } from './tcp-series';

/**
 * `failure` names why a connection is being refused (e.g. a failed TLS handshake): it closes as a failure.
 * A failed close carries Linkerd's `errno` label, so its dashboards' queries work: the socket error's name
 * (ECONNRESET, EPIPE, ETIMEDOUT…), or that refusal's reason.
 */
export function trackConnection(registry: ProxyRegistry, socket: Socket, labels: TcpLabels, failure?: string): void {
  const series = registry.tcpSeries.opened(labels);
  registry.tcpOpenTotal.inc(labels);
  registry.tcpOpenConnections.inc(labels);
  let errno: string | undefined = failure;
  socket.once('error', (err: NodeJS.ErrnoException) => {
    errno ??= err.code ?? 'error';
  });
  socket.once('close', () => {
    registry.tcpOpenConnections.dec(labels);
    registry.tcpReadBytesTotal.inc(labels, socket.bytesRead);
    registry.tcpWriteBytesTotal.inc(labels, socket.bytesWritten);
    const closeLabels = errno ? { ...labels, classification: 'failure', errno } : { ...labels, classification: 'success' };
    registry.tcpCloseTotal.inc(closeLabels);
    registry.tcpSeries.closed(series, closeLabels);
  });
}
