// HTTP/1 server that streams `?bytes=N` bytes (default 1 GiB) from one reused buffer, waiting for 'drain' so
// that the sender, not the kernel or the heap, absorbs a slow path.
import * as http from 'node:http';
import { listenOnLoopback } from './listen';

export const DEFAULT_BULK_BYTES = 1024 ** 3;
const CHUNK = Buffer.alloc(256 * 1024, 'x');

export function startBulkSender(): Promise<number> {
  const server = http.createServer((req, res) => {
    const asked = Number(new URL(req.url ?? '/', 'http://bulk').searchParams.get('bytes'));
    const total = Number.isSafeInteger(asked) && asked > 0 ? asked : DEFAULT_BULK_BYTES;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
    let left = total;
    const pump = (): void => {
      while (left > 0) {
        const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
        left -= chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    res.on('close', () => (left = 0));
    pump();
  });
  return listenOnLoopback(server);
}
