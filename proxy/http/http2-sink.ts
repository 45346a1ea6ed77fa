// Response to an HTTP/2 client (gRPC included). A headers-only response (gRPC Trailers-Only: one HEADERS
// frame with END_STREAM carrying grpc-status) stays one. Otherwise trailers are awaited (gRPC's grpc-status
// arrives last) unless the response declares its length: then the stream ends with its last DATA frame,
// because a client that already has every byte may close before a separate end-of-stream frame arrives, and a
// peer proxy would take that for a cancelled request. (With no trailers, Node ends an awaiting stream with an
// empty DATA frame.)
import type { ServerHttp2Stream } from 'node:http2';
import { PROXY_ERROR } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { ProxyError } from './errors';
import type { Headers } from './headers';
import { ResponseSink } from './sink';

export class Http2Sink extends ResponseSink {
  private trailers?: Headers;

  constructor(
    private readonly stream: ServerHttp2Stream,
    grpc: boolean,
    log: Logger,
  ) {
    super(grpc, log);
    stream.once('close', () => {
      if (!stream.writableFinished) this.clientLeft();
    });
    stream.on('wantTrailers', () => stream.sendTrailers(this.trailers ?? {}));
  }

  onDrain(fn: () => void): void {
    this.stream.once('drain', fn);
  }

  protected writeInformational(status: number, headers: Headers): void {
    if (!this.stream.destroyed) this.stream.additionalHeaders({ ...headers, ':status': status });
  }

  protected writeHead(status: number, headers: Headers, endStream: boolean): void {
    if (this.stream.destroyed) return;
    if (endStream) return this.stream.respond({ ...headers, ':status': status }, { endStream: true });
    const waitForTrailers = this.grpc || headers['content-length'] === undefined;
    this.stream.respond({ ...headers, ':status': status }, { waitForTrailers });
  }

  protected writeData(chunk: Buffer): boolean {
    return this.stream.write(chunk);
  }

  protected writeEnd(trailers: Headers | undefined): void {
    this.trailers = trailers;
    if (!this.stream.destroyed) this.stream.end();
  }

  protected writeError(error: ProxyError): void {
    if (this.stream.destroyed) return;
    if (this.grpc) {
      // Trailers-only response: HTTP 200 with the gRPC status in the (only) HEADERS frame.
      this.stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(error.grpcStatus),
          'grpc-message': grpcPercentEncode(error.message),
          [PROXY_ERROR]: error.reason,
        },
        { endStream: true },
      );
      return;
    }
    this.stream.respond({ ':status': error.status, 'content-type': 'text/plain; charset=utf-8', [PROXY_ERROR]: error.reason });
    this.stream.end(`${error.message}\n`);
  }

  protected abortResponse(): void {
    // destroy(err) resets at once (RST_STREAM INTERNAL_ERROR). close(code) would first end the writable side:
    // an empty DATA frame with END_STREAM, or the awaited trailers, so a cut body could pass for a whole one.
    if (!this.stream.destroyed) this.stream.destroy(new Error('response cut off: the upstream failed after its head'));
  }
}

/** grpc-message's percent-encoding (gRPC PROTOCOL-HTTP2): only '%' and bytes outside printable ASCII are encoded. */
function grpcPercentEncode(text: string): string {
  return text.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}
