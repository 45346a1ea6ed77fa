// Response to an HTTP/1.x client.
import { ServerResponse, STATUS_CODES, validateHeaderName, validateHeaderValue } from 'node:http';
import { PROXY_ERROR } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { ProxyError } from './errors';
import type { Headers } from './headers';
import { ResponseSink } from './sink';

/** ServerResponse's raw writer, which keeps a pipelined response queued behind the one before it. */
type RawWriter = { _writeRaw(data: string, encoding: BufferEncoding): boolean };

export class Http1Sink extends ResponseSink {
  constructor(
    private readonly res: ServerResponse,
    /** Set while the proxy drains for shutdown: answer, then close the connection. */
    private readonly closeAfter: () => boolean,
    log: Logger,
  ) {
    super(false, log);
    res.once('close', () => {
      if (!res.writableFinished) this.clientLeft();
    });
  }

  onDrain(fn: () => void): void {
    this.res.once('drain', fn);
  }

  protected writeInformational(status: number, headers: Headers): void {
    // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client, which would take it for the final response.
    if (this.res.req.httpVersion === '1.0') return;
    // Node writes only 100, 102 and 103-with-a-Link itself; any 1xx head is written the same way here.
    const head = informationalHead(status, headers);
    if (head === undefined) this.log.debug({ status }, 'informational response with an invalid header not forwarded');
    else (this.res as unknown as RawWriter)._writeRaw(head, 'latin1');
  }

  protected writeHead(status: number, headers: Headers, endStream: boolean): void {
    if (this.closeAfter()) this.res.shouldKeepAlive = false;
    this.res.writeHead(status, headers);
    if (endStream) this.res.end();
  }

  protected writeData(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  protected writeEnd(trailers: Headers | undefined): void {
    if (trailers && Object.keys(trailers).length > 0 && !this.res.getHeader('content-length')) this.res.addTrailers(trailers);
    this.res.end();
  }

  protected writeError(error: ProxyError): void {
    const body = `${error.message}\n`;
    if (this.closeAfter()) this.res.shouldKeepAlive = false;
    this.res.writeHead(error.status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      [PROXY_ERROR]: error.reason,
    });
    this.res.end(body);
  }

  protected abortResponse(): void {
    this.res.destroy();
  }
}

/** `HTTP/1.1 1xx …` with its headers, or undefined when a header could not be written safely. */
function informationalHead(status: number, headers: Headers): string | undefined {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Informational'}\r\n`;
  try {
    for (const name in headers) {
      validateHeaderName(name);
      for (const value of [headers[name]].flat()) {
        validateHeaderValue(name, value);
        head += `${name}: ${value}\r\n`;
      }
    }
  } catch {
    return undefined;
  }
  return `${head}\r\n`;
}
