// A response sink that records what it is asked to write, and a logger that records its lines: for tests of
// the sink's state machine and of what the request path writes into a sink.
import type { Logger } from '../../../../common/log';
import type { ProxyError } from '../../../../proxy/http/errors';
import type { Headers } from '../../../../proxy/http/headers';
import { ResponseSink, Target } from '../../../../proxy/http/sink';

export interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

export function recordingLogger(lines: LogLine[]): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => lines.push({ level, fields, msg });
  return { debug: at('debug'), warn: at('warn'), info: at('info'), error: at('error') } as unknown as Logger;
}

/** Records what it is asked to write, in order. */
export class RecordingSink extends ResponseSink {
  writes: string[] = [];
  lines: LogLine[];
  requests = 0;
  responses: { status: number; grpcStatus: number | undefined; error?: string }[] = [];

  constructor(grpc = false) {
    const lines: LogLine[] = [];
    super(grpc, recordingLogger(lines));
    this.lines = lines;
    this.target = {
      authority: 'web.test:80',
      endpoint: '127.0.0.1:1',
      metrics: { request: () => this.requests++, response: (status: number, grpcStatus: number | undefined, _ms: number, error?: string) => this.responses.push({ status, grpcStatus, error }) },
    } as unknown as Target;
  }

  leave(): void {
    this.clientLeft();
  }

  ignored(): string[] {
    return this.lines.filter((l) => l.level === 'debug' && l.msg === 'response event ignored in this state').map((l) => `${String(l.fields.event)}@${String(l.fields.state)}`);
  }

  onDrain(): void {}
  protected writeInformational(status: number): void {
    this.writes.push(`informational ${status}`);
  }
  protected writeHead(status: number, _h: Headers, endStream: boolean): void {
    this.writes.push(`head ${status}${endStream ? ' end' : ''}`);
  }
  protected writeData(chunk: Buffer): boolean {
    this.writes.push(`data ${chunk.toString()}`);
    return true;
  }
  protected writeEnd(trailers: Headers | undefined): void {
    this.writes.push(`end ${JSON.stringify(trailers ?? {})}`);
  }
  protected writeError(error: ProxyError): void {
    this.writes.push(`error ${error.reason}`);
  }
  protected abortResponse(): void {
    this.writes.push('abort');
  }
}
