// Failure containment (DESIGN.md): a proxy that exits takes its pod's whole network with it, so every callback
// on the request path (socket, stream and session events, timers, balancer grants, promise continuations) runs
// inside a guard: one per connection, and one per request on it. An exception nobody expected is reported once
// (logged at error with its stack and the connection's peer, counted in proxy_internal_errors_total) and then
// contained by the guard it happened in: a request's guard fails that request, a connection's guard closes that
// connection. If containing fails too, the next guard out takes over. Nothing reaches uncaughtException.
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Counter } from 'prom-client';
import { formatHostPort } from '../../common/address';
import type { Logger } from '../../common/log';

/** Where faults are reported: one per stack, so the count says which direction failed. */
export class FaultReporter {
  private readonly count: { inc(): void };

  constructor(
    private readonly log: Logger,
    counter: Counter<'direction'>,
    direction: 'inbound' | 'outbound',
  ) {
    this.count = counter.labels({ direction });
  }

  report(error: Error, peer: string, scope: GuardScope): void {
    this.count.inc();
    this.log.error({ peer, scope, err: error }, `internal error contained to its ${scope}`);
  }

  /** The same request or connection failed again while already contained: worth a debug line, not a count. */
  again(error: Error, peer: string, scope: GuardScope): void {
    this.log.debug({ peer, scope, error: error.message }, `another internal error in an already failed ${scope}`);
  }
}

export type GuardScope = 'connection' | 'request';

/** Listeners take whatever their event passes, as EventEmitter's own signature says. */
type Listener = (...args: any[]) => unknown;

export class Guard {
  private faulted = false;

  constructor(
    private readonly reporter: FaultReporter,
    /** Who is on the other end, for the log line: `host:port`. */
    readonly peer: string,
    readonly scope: GuardScope,
    /** Ends what this guard protects: fails the request, or closes the connection. */
    private readonly contain: (error: Error) => void,
    private readonly outer?: Guard,
  ) {}

  /** A guard for one request on this connection; `contain` fails that request. */
  forRequest(contain: (error: Error) => void): Guard {
    return new Guard(this.reporter, this.peer, 'request', contain, this);
  }

  /** Calls `fn` now; a throw, or the rejection of the promise it returns, is a fault. */
  run<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
    try {
      const result = fn(...args);
      if (result instanceof Promise) result.catch((err: unknown) => this.fault(err));
    } catch (err) {
      this.fault(err);
    }
  }

  /** `fn`, guarded: for timers, grants and promise continuations handed to someone else. */
  wrap<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => void {
    return (...args: A) => this.run(fn, ...args);
  }

  on(emitter: EventEmitter, event: string, listener: Listener): void {
    emitter.on(event, this.wrap(listener));
  }

  once(emitter: EventEmitter, event: string, listener: Listener): void {
    emitter.once(event, this.wrap(listener));
  }

  /** Reports `error` (the first time) and contains it. */
  fault(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.faulted) this.reporter.again(err, this.peer, this.scope);
    else this.reporter.report(err, this.peer, this.scope);
    this.faulted = true;
    try {
      this.contain(err);
    } catch (failedToContain) {
      if (this.outer) this.outer.fault(failedToContain);
      else this.reporter.again(failedToContain instanceof Error ? failedToContain : new Error(String(failedToContain)), this.peer, this.scope);
    }
  }
}

const GUARD = Symbol('weft.guard');
type Guarded = Socket & { [GUARD]?: Guard };

/** The connection's guard, made on first use: a fault closes the connection. */
export function connectionGuard(socket: Socket, reporter: FaultReporter): Guard {
  const guarded = socket as Guarded;
  return (guarded[GUARD] ??= new Guard(reporter, peerOf(socket), 'connection', () => socket.destroy()));
}

/** `host:port` of the other end, for log lines. */
export function peerOf(socket: Pick<Socket, 'remoteAddress' | 'remotePort'>): string {
  return socket.remoteAddress === undefined ? 'unknown' : formatHostPort({ host: socket.remoteAddress, port: socket.remotePort ?? 0 });
}
