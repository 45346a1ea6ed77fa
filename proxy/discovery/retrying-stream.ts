// One server stream from the destination service, kept open: when it fails (the controller restarts, the
// connection drops) it is opened again with exponential backoff. Whoever owns it keeps acting on the last
// messages meanwhile; the first message on each new stream is the whole state again (`fresh`).
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock';

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface RetryingStreamOptions<M> {
  open(): grpc.ClientReadableStream<M>;
  onMessage(message: M, fresh: boolean): void;
  /** The server refused the request itself (INVALID_ARGUMENT): asking again would not help. */
  onRefused(details: string): void;
  /** Called each time the stream is opened again after a failure. */
  onReconnect(): void;
  /** The stream failed with this status and will be opened again. */
  onFailure(status: grpc.StatusObject): void;
  clock: Clock;
  backoff: Backoff;
}

export class RetryingStream<M> {
  private call?: grpc.ClientReadableStream<M>;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private closed = false;
  /** When the last good stream went down; undefined while a stream is delivering. */
  downSince?: number;

  constructor(private readonly options: RetryingStreamOptions<M>) {
    this.open();
  }

  close(): void {
    this.closed = true;
    this.options.clock.clearTimeout(this.retryTimer!);
    this.call?.cancel();
    this.call = undefined;
  }

  private open(): void {
    let fresh = true;
    const call = this.options.open();
    this.call = call;
    call.on('data', (message: M) => {
      if (call !== this.call) return;
      this.failures = 0;
      this.downSince = undefined;
      const first = fresh;
      fresh = false;
      this.options.onMessage(message, first);
    });
    // 'status' comes once per call, whether it ended cleanly or not; 'error' must have a listener too.
    call.on('error', () => {});
    call.on('status', (status: grpc.StatusObject) => {
      if (call !== this.call || this.closed) return;
      this.call = undefined;
      if (status.code === grpc.status.INVALID_ARGUMENT) {
        this.options.onRefused(status.details);
        return;
      }
      this.downSince ??= this.options.clock.now();
      this.options.onFailure(status);
      this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    const { initialMs, maxMs } = this.options.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** this.failures++);
    // ±20 % jitter, so proxies that lost the same controller do not all come back in the same instant.
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.retryTimer = this.options.clock.setTimeout(() => {
      if (this.closed) return;
      this.options.onReconnect();
      this.open();
    }, delay);
  }
}
