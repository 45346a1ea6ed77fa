// A wrk2-style constant-rate client: request i is due at start + i/rate whatever happened to request i-1, and
// its latency counts from when it was due, not from when it could be sent, so a stall shows up in the tail
// instead of silently lowering the rate (coordinated omission). HTTP/1.1 over a keep-alive pool, or h2 /
// gRPC unary over one h2c session. Runs as its own process on the load core:
//   node constant-rate-client.js '<JSON ConstantRateOptions>'   → one JSON line of ConstantRateResult.
import * as http2 from 'node:http2';
import { GRPC_REQUEST_BODY } from '../backends/hello-h2';
import { LOOPBACK } from '../net';
import { Done, encodeGet, Http1Connection } from './http1-connection';
import { latencySummary, LatencySummary } from './latency';

export interface ConstantRateOptions {
  protocol: 'http1' | 'h2' | 'grpc';
  port: number;
  authority: string;
  ratePerSecond: number;
  warmupMs: number;
  durationMs: number;
  /** HTTP/1.1 connections in the pool (h2 uses one session). */
  connections: number;
}

export interface ConstantRateResult extends LatencySummary {
  due: number;
  completed: number;
  failed: number;
  achievedPerSecond: number;
  firstError?: string;
}

type Send = (done: Done) => void;

/** How long to wait for stragglers after the last request was due. */
const DRAIN_MS = 2000;

/** A pool of keep-alive connections; a request due while all are busy waits for the first free one. */
function http1Sender(o: ConstantRateOptions): Send {
  const idle: Http1Connection[] = [];
  const waiting: Done[] = [];
  const onIdle = (connection: Http1Connection): void => {
    const next = waiting.shift();
    if (next) connection.send(next);
    else idle.push(connection);
  };
  const request = encodeGet(o.authority);
  for (let i = 0; i < o.connections; i++) new Http1Connection(o.port, request, onIdle);
  return (done) => {
    const connection = idle.pop();
    if (connection) connection.send(done);
    else waiting.push(done);
  };
}

function h2Sender(o: ConstantRateOptions): Send {
  const session = http2.connect(`http://${LOOPBACK}:${o.port}`);
  session.on('error', () => undefined);
  const grpc = o.protocol === 'grpc';
  const headers: http2.OutgoingHttpHeaders = grpc
    ? { ':method': 'POST', ':path': '/bench.Hello/Say', ':authority': o.authority, 'content-type': 'application/grpc', te: 'trailers' }
    : { ':method': 'GET', ':path': '/', ':authority': o.authority };
  return (done) => {
    let status = 0;
    let grpcStatus: string | undefined;
    const stream = session.request(headers, { endStream: !grpc });
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('trailers', (t) => (grpcStatus = t['grpc-status'] as string | undefined));
    stream.on('data', () => undefined);
    stream.on('error', (err) => done(err.message));
    stream.on('end', () => {
      if (status !== 200) done(`status ${status}`);
      else if (grpc && grpcStatus !== '0') done(`grpc-status ${grpcStatus ?? 'missing'}`);
      else done();
    });
    if (grpc) stream.end(GRPC_REQUEST_BODY);
  };
}

export function runConstantRate(o: ConstantRateOptions): Promise<ConstantRateResult> {
  const send = o.protocol === 'http1' ? http1Sender(o) : h2Sender(o);
  const intervalNs = BigInt(Math.round(1e9 / o.ratePerSecond));
  const start = process.hrtime.bigint();
  const measureFrom = start + BigInt(o.warmupMs) * 1_000_000n;
  const end = measureFrom + BigInt(o.durationMs) * 1_000_000n;
  const latenciesUs: number[] = [];
  let due = 0;
  let completed = 0;
  let outstanding = 0;
  let firstError: string | undefined;
  let next = start;

  return new Promise((resolve) => {
    const finish = (): void => {
      const seconds = o.durationMs / 1000;
      // Requests still unanswered after the drain count as failed.
      if (firstError === undefined && completed < due) firstError = `${due - completed} requests unanswered ${DRAIN_MS} ms after the last was due`;
      resolve({ due, completed, failed: due - completed, achievedPerSecond: completed / seconds, firstError, ...latencySummary(latenciesUs) });
    };
    const fire = (dueAt: bigint): void => {
      const measured = dueAt >= measureFrom;
      if (measured) due++;
      outstanding++;
      send((error) => {
        outstanding--;
        if (!measured) return;
        if (error !== undefined) {
          firstError ??= error;
        } else {
          completed++;
          latenciesUs.push(Number(process.hrtime.bigint() - dueAt) / 1000);
        }
      });
    };
    // Spinning on setImmediate keeps the schedule to a few microseconds (timers are only millisecond-grained);
    // it costs the load core, which runs nothing else.
    const tick = (): void => {
      const now = process.hrtime.bigint();
      while (next <= now && next < end) {
        fire(next);
        next += intervalNs;
      }
      if (next < end) return void setImmediate(tick);
      const drainUntil = Date.now() + DRAIN_MS;
      const drain = (): void => (outstanding === 0 || Date.now() > drainUntil ? finish() : void setTimeout(drain, 10));
      drain();
    };
    tick();
  });
}

if (require.main === module) {
  const options = JSON.parse(process.argv[2] ?? '{}') as ConstantRateOptions;
  void runConstantRate(options).then((result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // The keep-alive pool and the h2 session would keep the process alive.
    process.exit(0);
  });
}
