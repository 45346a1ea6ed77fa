// Cleartext h2 (prior knowledge) server for the h2/gRPC unary scenario. A request with
// `content-type: application/grpc` gets a length-prefixed message and `grpc-status: 0` in trailers, as a
// gRPC unary server sends; anything else gets a small plain body.
import * as http2 from 'node:http2';
import { listenOnLoopback } from './listen';

const GRPC_CONTENT_TYPE = 'application/grpc';
// Protobuf field 1 = "hello", behind gRPC's 5-byte prefix (not compressed, length 7).
const GRPC_MESSAGE = Buffer.from([0, 0, 0, 0, 7, 0x0a, 5, ...Buffer.from('hello')]);
const GRPC_HEADERS = { ':status': 200, 'content-type': GRPC_CONTENT_TYPE };
const GRPC_TRAILERS = { 'grpc-status': '0' };
const PLAIN_BODY = Buffer.from('hello world\n');
const PLAIN_HEADERS = { ':status': 200, 'content-type': 'text/plain', 'content-length': PLAIN_BODY.length };

export function startHelloH2(): Promise<number> {
  const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => stream.destroy());
    stream.resume();
    if (headers['content-type'] === GRPC_CONTENT_TYPE) {
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers(GRPC_TRAILERS));
      stream.end(GRPC_MESSAGE);
    } else {
      stream.respond(PLAIN_HEADERS);
      stream.end(PLAIN_BODY);
    }
  });
  return listenOnLoopback(server);
}

/** The body of a gRPC request from the load generators: one small message, same framing as the reply. */
export const GRPC_REQUEST_BODY = GRPC_MESSAGE;
