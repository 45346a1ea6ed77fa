import { Command, Option } from 'commander';
import { DURATION_FORM, parseDuration } from '../../common/duration';
import { UsageError } from '../../common/errors';
import { runDemo } from '../demo/run';
import { PORTS_NEEDED } from '../demo/topology';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run meshed sample apps (web → books → stock) and a load generator on this machine, each behind its own weft-proxy, mTLS between them all')
    .addOption(new Option('--duration <duration>', `stop by itself after this long (${DURATION_FORM}); default: until Ctrl-C`))
    .addOption(new Option('--rps <n>', 'requests per second the load generator sends').default('10'))
    .addOption(new Option('--base-port <port>', `listen on ${PORTS_NEEDED} consecutive ports from this one (below 32768 keeps clear of the kernel's ephemeral ports); default: free ports below that range`))
    .addOption(new Option('--no-prometheus', "read the proxies' /metrics in the demo itself even when Prometheus is installed"))
    .action(async (opts: { duration?: string; rps: string; basePort?: string; prometheus: boolean }) => {
      await runDemo({
        prometheus: opts.prometheus,
        durationMs: opts.duration === undefined ? undefined : duration(opts.duration),
        rps: rps(opts.rps),
        basePort: opts.basePort === undefined ? undefined : basePort(opts.basePort),
        out: process.stdout,
      });
    });
}

function duration(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--duration ${JSON.stringify(text)} is not valid: expected ${DURATION_FORM}`);
  return ms;
}

function rps(text: string): number {
  const n = Number(text);
  if (!(n >= 0.1 && n <= 10_000)) throw new UsageError(`--rps ${JSON.stringify(text)} is not valid: expected a number of requests per second from 0.1 to 10000`);
  return n;
}

function basePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1024 || n + PORTS_NEEDED - 1 > 65535) {
    throw new UsageError(`--base-port ${JSON.stringify(text)} is not valid: expected a port from 1024 to ${65536 - PORTS_NEEDED}`);
  }
  return n;
}
