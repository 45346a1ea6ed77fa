// Bulk transfer: one large HTTP/1.1 response streamed through the path.
import { DEFAULT_BULK_BYTES } from '../backends/bulk-sender';
import { runBulk } from '../load/bulk';
import { BENCH_AUTHORITY } from '../weft';
import type { MeasureContext, Scenario, Values } from './types';
import { MB, withUsage } from './usage';

/** A path slower than ~130 MB/s is cut at this limit; the table then shows what arrived and says so. */
const MAX_SECONDS = 8;
const ROUNDS = 2;

async function transfer(ctx: MeasureContext): Promise<Values> {
  const [result, usage] = await withUsage(ctx, () => runBulk(ctx.path.port, BENCH_AUTHORITY, DEFAULT_BULK_BYTES, MAX_SECONDS));
  return {
    megabytesPerSecond: result.megabytesPerSecond,
    seconds: result.seconds,
    complete: result.complete ? 1 : 0,
    ...(ctx.path.proxies.length > 0 ? { proxyCpuS: usage.proxy.cpuSeconds, proxyPeakRssMB: usage.proxy.peakRssBytes / MB } : {}),
  };
}

export const bulkScenario: Scenario = {
  id: 'bulk',
  name: 'Bulk transfer',
  protocol: 'http1',
  backend: 'bulk-sender',
  rounds: ROUNDS,
  steps: [{ tableId: 'bulk', run: transfer }],
  tables: [
    {
      id: 'bulk',
      title: `Bulk transfer, ${DEFAULT_BULK_BYTES / 1024 ** 3} GiB over HTTP/1.1`,
      method: `curl GET of a ${DEFAULT_BULK_BYTES / 1024 ** 3} GiB body (content-length) from a Node sender, at most ${MAX_SECONDS} s, median of ${ROUNDS} rounds`,
      columns: [
        { key: 'megabytesPerSecond', label: 'MB/s', digits: 0 },
        { key: 'seconds', label: 'seconds', digits: 2 },
        { key: 'complete', label: 'complete (1 = yes)', digits: 0 },
        { key: 'proxyCpuS', label: 'proxy CPU s', digits: 2 },
        { key: 'proxyPeakRssMB', label: 'proxy peak RSS MB', digits: 1 },
      ],
      headline: 'megabytesPerSecond',
      lowerIsBetter: false,
    },
  ],
};
