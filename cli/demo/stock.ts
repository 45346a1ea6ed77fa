// `stock`: a plain TCP service on an opaque port. The client speaks first, one question per line:
// `GET <id>\n` → `<count>\n`, or `ERR <reason>\n` for a book it has no record of. Nothing here knows about
// HTTP, so the mesh can only carry it as opaque bytes.
//   stock --listen 127.0.0.1:7000
import * as net from 'node:net';
import { STOCK_COUNTS } from './catalog';
import { listen as listenOn } from '../../common/listen';
import { RunningApp, addressFlag, readFlags, runApp } from './app-main';

/** Longest line we accept; a client sending more without a newline is not speaking this protocol. */
const MAX_LINE = 256;

function answer(line: string): string {
  const m = /^GET (\S+)$/.exec(line.trim());
  if (!m) return `ERR expected "GET <id>", got ${JSON.stringify(line.slice(0, 40))}\n`;
  const count = STOCK_COUNTS.get(m[1]);
  return count === undefined ? `ERR no stock record for book ${m[1]}\n` : `${count}\n`;
}

function serve(socket: net.Socket): void {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      socket.write(answer(pending.slice(0, newline)));
      pending = pending.slice(newline + 1);
    }
    if (pending.length > MAX_LINE) socket.end(`ERR line longer than ${MAX_LINE} bytes\n`);
  });
  socket.on('end', () => socket.end());
  socket.on('error', () => socket.destroy());
}

async function start(argv: string[]): Promise<RunningApp> {
  const listen = addressFlag(readFlags(argv, ['listen']), 'listen');
  const server = net.createServer(serve);
  await listenOn(server, listen, 'the app');
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Connections from books are short, but do not wait on a client that keeps one open.
        setTimeout(resolve, 1000).unref();
      }),
  };
}

if (require.main === module) runApp('stock', start);
