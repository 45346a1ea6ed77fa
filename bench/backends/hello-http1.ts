// The bare Node hello world: the direct path of the HTTP/1 scenarios and the "Node on one core" yardstick,
// so it does nothing beyond answering (no routing, no body parsing).
import * as http from 'node:http';
import { listenOnLoopback } from './listen';

const BODY = Buffer.from('hello world\n');
const HEADERS = { 'content-type': 'text/plain', 'content-length': BODY.length };

export function startHelloHttp1(): Promise<number> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  });
  return listenOnLoopback(server);
}
