// The demo's load generator: a steady request rate (open loop: a slow answer does not slow the sender) of
// HTTP/1 GETs to web, alternating `/` and `/books`, with a fixed fraction sent to the book that always fails
// so the success rate is not trivially 100 %.
//   load --target http://127.0.0.1:8080 --rps 10                                  (web directly)
//   load --target http://web.demo.svc.cluster.local:8080 --proxy <proxy outbound>  (meshed: absolute-form URI)
import * as http from 'node:http';
import { HostPort } from '../../common/address';
import { RunningApp, addressFlag, readFlags, runApp } from './app-main';
import { BROKEN_BOOK } from './catalog';

const PAGES = ['/', '/books'];
const FAILING_PAGE = `/books/${BROKEN_BOOK.id}`;
const REQUEST_TIMEOUT_MS = 5000;
/** Above this many unanswered requests the generator skips ticks instead of piling up sockets. */
const MAX_IN_FLIGHT = 64;

/** Request i goes to the failing page when it crosses a multiple of 1/fraction: an exact, steady share. */
function pathFor(i: number, failFraction: number): string {
  if (Math.floor((i + 1) * failFraction) > Math.floor(i * failFraction)) return FAILING_PAGE;
  return PAGES[i % PAGES.length];
}

class LoadGenerator {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly connectTo: HostPort;
  private readonly reportedErrors = new Set<string>();
  private inFlight = 0;
  private ticks = 0;
  private timer?: NodeJS.Timeout;
  private readonly startedAt = Date.now();

  constructor(
    private readonly target: URL,
    private readonly proxy: HostPort | undefined,
    private readonly rps: number,
    private readonly failFraction: number,
  ) {
    this.connectTo = proxy ?? { host: target.hostname, port: Number(target.port || 80) };
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.agent.destroy();
  }

  // Each tick is due at start + n/rps, so timer lateness does not lower the rate.
  private schedule(): void {
    const due = this.startedAt + (this.ticks * 1000) / this.rps;
    this.timer = setTimeout(() => {
      if (this.inFlight < MAX_IN_FLIGHT) this.send(pathFor(this.ticks, this.failFraction));
      this.ticks++;
      this.schedule();
    }, Math.max(0, due - Date.now()));
  }

  private send(path: string): void {
    this.inFlight++;
    const req = http.request({
      host: this.connectTo.host,
      port: this.connectTo.port,
      // Through a proxy the request names its destination in absolute form, as with HTTP_PROXY.
      path: this.proxy ? new URL(path, this.target).href : path,
      headers: { host: this.target.host },
      agent: this.agent,
      timeout: REQUEST_TIMEOUT_MS,
    });
    // 'close' comes once per request, after the response or after a failure.
    req.once('close', () => this.inFlight--);
    req.on('response', (res) => res.resume());
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (err) => this.reportOnce(err.message));
    req.end();
  }

  // One line per distinct failure, so a broken path is visible without flooding the demo's output.
  private reportOnce(message: string): void {
    if (this.reportedErrors.has(message)) return;
    this.reportedErrors.add(message);
    process.stderr.write(`load: request to ${this.target.host} failed: ${message}\n`);
  }
}

async function start(argv: string[]): Promise<RunningApp> {
  const flags = readFlags(argv, ['target', 'proxy', 'rps', 'fail-fraction']);
  const target = URL.canParse(flags.target ?? '') ? new URL(flags.target!) : undefined;
  if (!target || target.protocol !== 'http:') throw new Error('--target must be an http:// URL, e.g. http://127.0.0.1:8080');
  const proxy = flags.proxy === undefined ? undefined : addressFlag(flags, 'proxy');
  const rps = Number(flags.rps ?? '10');
  const failFraction = Number(flags['fail-fraction'] ?? '0.1');
  if (!(rps >= 0.1 && rps <= 10_000)) throw new Error(`--rps must be a number of requests per second from 0.1 to 10000, got ${flags.rps}`);
  if (!(failFraction >= 0 && failFraction <= 1)) throw new Error(`--fail-fraction must be between 0 and 1, got ${flags['fail-fraction']}`);
  const load = new LoadGenerator(target, proxy, rps, failFraction);
  load.start();
  return { close: async () => load.stop() };
}

if (require.main === module) runApp('load', start);
