// A request body that can be sent again for a retry. Each try gets its own stream of the whole body: what the
// client sent so far (kept in memory), then whatever it sends next. Only the first 64 KiB are kept: once the
// body grows past that, the memory is let go and the request can no longer be retried.
import { PassThrough, Readable } from 'node:stream';

export const MAX_REPLAY_BYTES = 64 * 1024;

export class ReplayableBody {
  private kept: Buffer[] | undefined = [];
  private keptBytes = 0;
  private ended = false;
  private current?: PassThrough;
  private reading = false;

  constructor(
    private readonly source: Readable,
    private readonly limit = MAX_REPLAY_BYTES,
  ) {}

  /** False once more than the limit was sent: a retry could not send the whole body. */
  get replayable(): boolean {
    return this.kept !== undefined;
  }

  /** A stream of the whole body for one try. The previous try's stream gets nothing more. */
  stream(): Readable {
    const stream = new PassThrough();
    for (const chunk of this.kept ?? []) stream.write(chunk);
    if (this.ended) stream.end();
    this.current = stream;
    stream.on('drain', () => {
      if (this.current === stream) this.source.resume();
    });
    stream.once('close', () => {
      // That try is over (answered, cut or given up): hold the client's bytes until the next try asks.
      if (this.current === stream) this.current = undefined;
    });
    if (this.reading) this.source.resume();
    else this.startReading();
    return stream;
  }

  /** Starts at the first try, so that every byte read has a try to go to. */
  private startReading(): void {
    this.reading = true;
    this.source.on('data', (chunk: Buffer) => this.onData(chunk));
    this.source.once('end', () => {
      this.ended = true;
      this.current?.end();
    });
    this.source.once('error', (err) => this.current?.destroy(err));
  }

  private onData(chunk: Buffer): void {
    if (this.kept) {
      this.keptBytes += chunk.length;
      if (this.keptBytes <= this.limit) this.kept.push(chunk);
      else this.kept = undefined;
    }
    // Back-pressure from the try that is sending, and no reading at all between tries (nowhere to put it).
    if (!this.current || !this.current.write(chunk)) this.source.pause();
  }
}
