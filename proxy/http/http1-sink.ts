// Response to an HTTP/1.x client.
import type { ServerResponse } from 'node:http';
import { PROXY_ERROR } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { ProxyError } from './errors';
import type { Headers } from './headers';
import { ResponseSink } from './sink';

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

  get headSent(): boolean {
    return this.res.headersSent;
  }

  data(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  onDrain(fn: () => void): void {
    this.res.once('drain', fn);
  }

  protected writeHead(status: number, headers: Headers): void {
    if (this.closeAfter()) this.res.shouldKeepAlive = false;
    this.res.writeHead(status, headers);
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
