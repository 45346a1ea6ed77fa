// Loopback ports and readiness checks for the servers the bench starts.
import * as http from 'node:http';
import * as net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** A port the kernel just handed out; servers that cannot listen on 0 and report back get one of these. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, LOOPBACK);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function httpStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
  });
}

/**
 * Polls `ready` every 50 ms until it holds or `timeoutMs` passes; `alive` is checked too so that a server that
 * died at start-up fails at once with its own words instead of after the timeout.
 */
async function pollUntil(what: string, ready: () => Promise<boolean>, timeoutMs: number, alive: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const death = alive();
    if (death !== undefined) throw new Error(`${what} exited before it was ready: ${death}`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms`);
}

export function waitForPort(what: string, port: number, alive: () => string | undefined, timeoutMs = 10_000): Promise<void> {
  return pollUntil(`${what} on port ${port}`, () => canConnect(port), timeoutMs, alive);
}

export function waitForHttp200(what: string, url: string, alive: () => string | undefined, timeoutMs = 15_000): Promise<void> {
  return pollUntil(`${what} (${url})`, async () => (await httpStatus(url)) === 200, timeoutMs, alive);
}
