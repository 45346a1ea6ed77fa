// How `books` asks `stock` for counts: one TCP connection per call, either straight to the stock server or
// through the proxy's outbound with HTTP CONNECT (the proxy answers 200, then carries the bytes opaquely).
import * as net from 'node:net';
import { HostPort, formatHostPort } from '../../common/address';

export interface StockRoute {
  /** Where to connect: the stock server itself, or the caller's proxy outbound. */
  addr: HostPort;
  /** Set when `addr` is a proxy: the authority to CONNECT to, e.g. stock.demo.svc.cluster.local:7000. */
  connectAuthority?: string;
}

export type StockAnswer = { id: string; count: number } | { id: string; error: string };

/** Yields one answer per id, in order, as they arrive. */
export async function* stockCounts(route: StockRoute, ids: readonly string[], timeoutMs: number): AsyncGenerator<StockAnswer> {
  const where = route.connectAuthority ?? formatHostPort(route.addr);
  const socket = net.connect(route.addr.port, route.addr.host);
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`stock at ${where} did not answer within ${timeoutMs} ms`)));
  const lines = new LineReader(socket, where);
  let finished = false;
  try {
    if (route.connectAuthority) await openTunnel(socket, lines, route.connectAuthority);
    socket.write(ids.map((id) => `GET ${id}\n`).join(''));
    for (const id of ids) yield parseAnswer(id, await lines.next());
    finished = true;
    socket.end();
  } finally {
    if (!finished) socket.destroy();
  }
}

function parseAnswer(id: string, line: string): StockAnswer {
  if (/^\d+$/.test(line)) return { id, count: Number(line) };
  return { id, error: line.startsWith('ERR ') ? line.slice(4) : `unexpected answer ${JSON.stringify(line)}` };
}

async function openTunnel(socket: net.Socket, lines: LineReader, authority: string): Promise<void> {
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  const status = await lines.next();
  while ((await lines.next()) !== '') {
    // Response headers of the CONNECT answer carry nothing we need.
  }
  if (!/^HTTP\/1\.[01] 200\b/.test(status)) throw new Error(`the proxy refused CONNECT ${authority}: ${status}`);
}

/** Lines from a socket, `\r\n` or `\n` terminated; next() rejects once the socket fails or ends. */
class LineReader {
  private buffered = '';
  private failure?: Error;
  private waiter?: { resolve: (line: string) => void; reject: (err: Error) => void };

  constructor(socket: net.Socket, private readonly peer: string) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      this.deliver();
    });
    socket.on('end', () => this.fail(new Error(`${this.peer} closed the connection before answering`)));
    socket.on('error', (err) => this.fail(err));
  }

  next(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.deliver();
    });
  }

  private deliver(): void {
    if (!this.waiter) return;
    const newline = this.buffered.indexOf('\n');
    if (newline >= 0) {
      const line = this.buffered.slice(0, newline).replace(/\r$/, '');
      this.buffered = this.buffered.slice(newline + 1);
      this.take().resolve(line);
    } else if (this.failure) {
      this.take().reject(this.failure);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.deliver();
  }

  private take() {
    const waiter = this.waiter!;
    this.waiter = undefined;
    return waiter;
  }
}
