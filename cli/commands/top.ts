// `weft top`: a terminal view of the busiest paths (caller → authority) that redraws every --refresh and quits
// on q or Ctrl-C. Proxies count no per-request path, so the rows are workload → authority; tap shows requests.
import { Command, Option } from 'commander';
import { DURATION_FORM, formatDuration, parseDuration } from '../../common/duration';
import { UsageError } from '../../common/errors';
import { busiestPaths, PathRow } from '../../common/views/paths';
import type { MetricsSource } from '../../common/views/source';
import { formatTable } from '../output';
import { addSourceOptions, currentContext, metricsSource, SourceOptions } from '../views/connect';
import { ms, percent, rps } from '../views/format';

interface TopOptions extends SourceOptions {
  namespace?: string;
  timeWindow: string;
  refresh: string;
  limit: string;
}

const CLEAR = '\x1b[H\x1b[2J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

export function registerTop(program: Command): void {
  addSourceOptions(
    program
      .command('top')
      .description('the busiest paths between workloads, redrawn until q')
      .addOption(new Option('-n, --namespace <ns>', 'only callers in this namespace'))
      .addOption(new Option('-t, --time-window <duration>', 'each redraw covers this much').default('30s'))
      .addOption(new Option('--refresh <duration>', 'how often to redraw').default('2s'))
      .addOption(new Option('--limit <n>', 'rows at most').default('20')),
  ).action(async (opts: TopOptions) => {
    const windowMs = durationFlag('-t', opts.timeWindow);
    const refreshMs = durationFlag('--refresh', opts.refresh);
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${JSON.stringify(opts.limit)} is not a positive whole number`);
    const context = await currentContext();
    const source = await metricsSource(opts, opts.namespace ?? context?.namespace ?? 'default', context);
    await runTop(source, { windowMs, refreshMs, limit, namespace: opts.namespace });
  });
}

function durationFlag(flag: string, text: string): number {
  const value = parseDuration(text);
  if (value === undefined || value < 100) throw new UsageError(`${flag} ${JSON.stringify(text)} is not valid: expected ${DURATION_FORM}`);
  return value;
}

interface TopSettings {
  windowMs: number;
  refreshMs: number;
  limit: number;
  namespace?: string;
}

async function runTop(source: MetricsSource, settings: TopSettings): Promise<void> {
  const out = process.stdout;
  const input = process.stdin;
  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  const onKey = (key: Buffer) => {
    if (key.includes(0x71 /* q */) || key.includes(0x51 /* Q */) || key.includes(0x03 /* Ctrl-C */)) quit();
  };
  if (input.isTTY) input.setRawMode(true);
  input.on('data', onKey).resume();
  process.once('SIGINT', quit);
  out.write(HIDE_CURSOR);
  let timer: NodeJS.Timeout | undefined;
  try {
    const draw = async () => {
      const now = Date.now();
      let body: string;
      try {
        const rows = (await busiestPaths(source, { fromMs: now - settings.windowMs, toMs: now }, settings.limit * 4))
          .filter((r) => settings.namespace === undefined || r.namespace === settings.namespace)
          .slice(0, settings.limit);
        body = rows.length === 0 ? '(no requests in this window)\n' : table(rows);
      } catch (err) {
        body = `weft: error: ${(err as Error).message}\n`;
      }
      const title = `weft top: busiest paths over the last ${formatDuration(settings.windowMs)}, ${new Date(now).toISOString()} (q quits)`;
      out.write(`${CLEAR}${title}\nsource: ${source.description}\n\n${body}`);
    };
    const loop = async () => {
      await draw();
      timer = setTimeout(() => void loop(), settings.refreshMs);
    };
    void loop();
    await quitting;
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', quit);
    input.off('data', onKey).pause();
    if (input.isTTY) input.setRawMode(false);
    out.write(`${SHOW_CURSOR}${CLEAR}`);
  }
}

function table(rows: PathRow[]): string {
  return formatTable(
    ['SRC_NS', 'SRC', 'AUTHORITY', 'RPS', 'SUCCESS', 'LATENCY_P50', 'LATENCY_P99'],
    rows.map((r) => [r.namespace, r.src, r.authority, rps(r.rps), percent(r.successRate), ms(r.latencyMs.p50), ms(r.latencyMs.p99)]),
  );
}
