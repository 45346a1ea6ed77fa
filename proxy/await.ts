// `weft-proxy await`: the classic sidecar's postStart hook. The kubelet starts the app's containers only once the
// proxy container's postStart hook has returned, so waiting here for the proxy's /ready keeps the app from
// starting before its proxy can carry its traffic. Bounded: after --timeout it fails with the last answer seen.
import * as http from 'node:http';
import { parseArgs } from 'node:util';
import { ADDRESS_FORM, formatHostPort, HostPort, parseHostPort } from '../common/address';
import { Clock, systemClock } from '../common/clock';
import { PROXY_ADMIN_ADDR } from '../common/contract';
import { DURATION_FORM, formatDuration, parseDuration } from '../common/duration';
import { UsageError } from '../common/errors';
import { MAX_DURATION_MS } from './config';

export const DEFAULT_AWAIT_TIMEOUT_MS = 120_000;
const DEFAULT_ADMIN: HostPort = { host: '127.0.0.1', port: parseHostPort(PROXY_ADMIN_ADDR)!.port };
/** Between two asks; each ask gets at most this long too, so a hung admin server costs one interval. */
const POLL_INTERVAL_MS = 200;
const ASK_TIMEOUT_MS = 1000;

export const AWAIT_USAGE = `Usage: weft-proxy await [options]

Waits until the proxy's admin server answers GET /ready with 200, then exits 0; exits 1 when it has not after
--timeout. Runs as the proxy container's postStart hook so that the app starts only once its proxy is ready.

Options:
  --timeout DURATION     how long to wait (${DURATION_FORM}; default ${formatDuration(DEFAULT_AWAIT_TIMEOUT_MS)})
  --admin-addr ADDRESS   the proxy's admin server (${ADDRESS_FORM}; default ${formatHostPort(DEFAULT_ADMIN)})
  --help                 show this help
`;

export interface AwaitOptions {
  admin: HostPort;
  timeoutMs: number;
}
export type ParsedAwaitArgs = { help: true } | { help: false; options: AwaitOptions };

export function parseAwaitArgs(argv: readonly string[]): ParsedAwaitArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { timeout: { type: 'string' }, 'admin-addr': { type: 'string' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; see weft-proxy await --help`);
  }
  if (values.help) return { help: true };
  const timeoutText = values.timeout;
  const timeoutMs = timeoutText === undefined ? DEFAULT_AWAIT_TIMEOUT_MS : parseDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs < 1 || timeoutMs > MAX_DURATION_MS) {
    throw new UsageError(`--timeout ${JSON.stringify(timeoutText)} is not valid: expected ${DURATION_FORM}, above zero`);
  }
  const adminText = values['admin-addr'];
  const admin = adminText === undefined ? DEFAULT_ADMIN : parseHostPort(adminText);
  if (!admin) throw new UsageError(`--admin-addr ${JSON.stringify(adminText)} is not valid: expected ${ADDRESS_FORM}`);
  return { help: false, options: { admin, timeoutMs } };
}

export type AwaitOutcome = { ready: true; afterMs: number } | { ready: false; lastAnswer: string };

/** Asks /ready until it answers 200 or the time is up. */
export async function awaitReady({ admin, timeoutMs }: AwaitOptions, clock: Clock = systemClock): Promise<AwaitOutcome> {
  const started = clock.now();
  const deadline = started + timeoutMs;
  let lastAnswer = 'no answer yet';
  for (;;) {
    const left = deadline - clock.now();
    if (left <= 0) return { ready: false, lastAnswer };
    const answer = await askReady(admin, Math.min(ASK_TIMEOUT_MS, left));
    if (answer.status === 200) return { ready: true, afterMs: clock.now() - started };
    lastAnswer = answer.text;
    await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.max(0, Math.min(POLL_INTERVAL_MS, deadline - clock.now()))));
  }
}

/** One GET /ready; never rejects. node:http rather than fetch, which refuses some ports (4190 among them). */
function askReady(admin: HostPort, timeoutMs: number): Promise<{ status?: number; text: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: admin.host, port: admin.port, path: '/ready', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body = (body + chunk).slice(0, 200)));
      res.on('end', () => resolve({ status: res.statusCode, text: `${res.statusCode} ${body.trim()}` }));
      res.on('error', (err) => resolve({ text: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${formatDuration(timeoutMs)}`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ text: err.code ?? err.message }));
  });
}

export async function runAwait(argv: readonly string[]): Promise<void> {
  const parsed = parseAwaitArgs(argv);
  if (parsed.help) {
    process.stdout.write(AWAIT_USAGE);
    return;
  }
  const { options } = parsed;
  const where = formatHostPort(options.admin);
  process.stdout.write(`weft-proxy await: waiting up to ${formatDuration(options.timeoutMs)} for the proxy at ${where} to be ready\n`);
  const outcome = await awaitReady(options);
  if (!outcome.ready) {
    throw new Error(
      `the proxy at ${where} was not ready within ${formatDuration(options.timeoutMs)} (last GET /ready: ${outcome.lastAnswer}); ` +
        `see the proxy's log for why`,
    );
  }
  process.stdout.write(`weft-proxy await: the proxy at ${where} is ready (after ${formatDuration(outcome.afterMs)})\n`);
}
