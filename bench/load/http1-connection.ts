// A minimal HTTP/1.1 keep-alive client connection for the load generator: one pre-encoded GET written as is,
// responses framed by content-length or chunked encoding, one request in flight. node:http costs tens of
// microseconds per request in the client, enough to make the client the bottleneck at a few thousand req/s
// on a shared core; this costs a few.
import * as net from 'node:net';
import { LOOPBACK } from '../net';

export type Done = (error?: string) => void;

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

export function encodeGet(authority: string): Buffer {
  return Buffer.from(`GET / HTTP/1.1\r\nhost: ${authority}\r\n\r\n`, 'latin1');
}

export class Http1Connection {
  private readonly socket: net.Socket;
  private pending: Buffer = Buffer.alloc(0);
  private done: Done | undefined;
  private status = 0;
  /** Body bytes still expected; -1 while reading chunk sizes of a chunked body. */
  private bodyLeft = 0;
  private chunked = false;
  private inBody = false;

  constructor(
    port: number,
    private readonly request: Buffer,
    private readonly onIdle: (connection: Http1Connection) => void,
  ) {
    this.socket = net.connect(port, LOOPBACK);
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => onIdle(this));
    this.socket.on('data', (chunk) => this.read(chunk));
    this.socket.on('error', (err) => this.finish(err.message));
    this.socket.on('close', () => this.finish('connection closed'));
  }

  send(done: Done): void {
    this.done = done;
    this.socket.write(this.request);
  }

  close(): void {
    this.socket.destroy();
  }

  private finish(error?: string): void {
    const done = this.done;
    this.done = undefined;
    this.inBody = false;
    if (error !== undefined) this.pending = Buffer.alloc(0);
    if (done) done(error ?? (this.status === 200 ? undefined : `status ${this.status}`));
    if (!this.socket.destroyed && error === undefined) this.onIdle(this);
  }

  private read(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (!this.inBody && !this.readHead()) return;
      if (!this.readBody()) return;
      this.finish();
      if (this.pending.length === 0) return;
    }
  }

  private readHead(): boolean {
    const end = this.pending.indexOf(HEADER_END);
    if (end < 0) return false;
    const head = this.pending.toString('latin1', 0, end);
    this.pending = this.pending.subarray(end + HEADER_END.length);
    this.status = Number(head.slice(9, 12));
    this.chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head);
    this.bodyLeft = this.chunked ? -1 : Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    this.inBody = true;
    return true;
  }

  /** Consumes what it can of the body; true when the whole body has been read. */
  private readBody(): boolean {
    for (;;) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, this.pending.length);
        this.bodyLeft -= take;
        this.pending = this.pending.subarray(take);
        if (this.bodyLeft > 0) return false;
        if (!this.chunked) return true;
        this.bodyLeft = -2; // the CRLF after a chunk's data
      }
      if (!this.chunked) return true;
      const eol = this.pending.indexOf(CRLF);
      if (eol < 0) return false;
      const line = this.pending.toString('latin1', 0, eol);
      this.pending = this.pending.subarray(eol + CRLF.length);
      if (this.bodyLeft === -2) {
        this.bodyLeft = -1;
        continue;
      }
      if (this.bodyLeft === -3) {
        // After the last chunk: trailer lines until an empty one.
        if (line === '') return true;
        continue;
      }
      const size = parseInt(line, 16);
      this.bodyLeft = size === 0 ? -3 : size;
    }
  }
}
