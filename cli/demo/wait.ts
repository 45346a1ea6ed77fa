// Bounded polling for start-up: every check has a deadline and stops early when the demo is stopping.
import * as http from 'node:http';
import * as net from 'node:net';
import { HostPort } from '../../common/address';

const POLL_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 1000;

/** Resolves once `check` is true; rejects with `what` after `timeoutMs`, or when `signal` aborts. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`${what} was not ready within ${timeoutMs / 1000}s`);
    await sleep(POLL_INTERVAL_MS, signal);
  }
  throw new Error(`stopped while waiting for ${what}`);
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake);
  });
}

/** GET `url` answers 200. */
export function answersOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Something accepts TCP connections at `addr`. */
export function acceptsConnections(addr: HostPort): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: addr.host, port: addr.port, timeout: PROBE_TIMEOUT_MS });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}
