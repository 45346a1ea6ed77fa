// Opaque TCP ping-pong: each connection sends a message, waits for all of it to come back, and sends the next.
// Round trips per second is the throughput, the time each round trip took is the latency. Runs as its own
// process on the load core: node tcp-echo-client.js '<JSON EchoOptions>' → one JSON line of EchoResult.
import * as net from 'node:net';
import { LOOPBACK } from '../net';
import { latencySummary, LatencySummary } from './latency';

export interface EchoOptions {
  port: number;
  connections: number;
  messageBytes: number;
  warmupMs: number;
  durationMs: number;
}

export interface EchoResult extends LatencySummary {
  roundTrips: number;
  roundTripsPerSecond: number;
  errors: number;
  firstError?: string;
}

const STALL_GRACE_MS = 2000;

export function runEcho(o: EchoOptions): Promise<EchoResult> {
  const message = Buffer.alloc(o.messageBytes, 'p');
  const start = Date.now();
  const measureFrom = start + o.warmupMs;
  const end = measureFrom + o.durationMs;
  const latenciesUs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let open = o.connections;

  return new Promise((resolve) => {
    const closed = (): void => {
      if (--open > 0) return;
      const seconds = o.durationMs / 1000;
      resolve({ roundTrips: latenciesUs.length, roundTripsPerSecond: latenciesUs.length / seconds, errors, firstError, ...latencySummary(latenciesUs) });
    };
    const sockets: net.Socket[] = [];
    // A path that stops echoing must not hold the run: whatever is still open at the deadline is cut.
    setTimeout(() => sockets.forEach((s) => s.destroy()), end - start + STALL_GRACE_MS).unref();
    for (let i = 0; i < o.connections; i++) {
      const socket = net.connect(o.port, LOOPBACK);
      sockets.push(socket);
      socket.setNoDelay(true);
      let received = 0;
      let sentAt = 0n;
      const ping = (): void => {
        sentAt = process.hrtime.bigint();
        socket.write(message);
      };
      socket.once('connect', ping);
      socket.on('data', (chunk) => {
        received += chunk.length;
        if (received < o.messageBytes) return;
        received -= o.messageBytes;
        if (Date.now() >= measureFrom) latenciesUs.push(Number(process.hrtime.bigint() - sentAt) / 1000);
        if (Date.now() < end) ping();
        else socket.end();
      });
      socket.on('error', (err) => {
        errors++;
        firstError ??= err.message;
      });
      socket.on('close', closed);
    }
  });
}

if (require.main === module) {
  const options = JSON.parse(process.argv[2] ?? '{}') as EchoOptions;
  void runEcho(options).then((result) => process.stdout.write(`${JSON.stringify(result)}\n`));
}
