// The time a view covers: `-t 1m` (the last minute, Linkerd's window flag) ending now or at `--until`, or
// `--since X --until Y` for any stretch within what the source keeps (an RFC 3339 time, epoch milliseconds,
// `now`, or `now-10m` / `-10m`). `--from`/`--to` are Linkerd's resource filters (traffic-filter.ts), not times.
import { DURATION_FORM, parseDuration } from '../../common/duration';
import { UsageError } from '../../common/errors';
import type { TimeRange } from '../../common/views/source';

export const DEFAULT_WINDOW = '1m';
export const TIME_FORM = 'an RFC 3339 time (2026-01-02T15:04:05Z), epoch milliseconds, now, or now-10m / -10m';

export interface RangeOptions {
  timeWindow?: string;
  since?: string;
  until?: string;
}

export function parseTime(text: string, flag: string, now: number): number {
  const relative = /^(?:now)?-(.+)$/.exec(text.trim());
  if (text.trim() === 'now') return now;
  if (relative) {
    const ms = parseDuration(relative[1]);
    if (ms !== undefined) return now - ms;
  } else if (/^\d{10,}$/.test(text.trim())) {
    return Number(text.trim());
  } else {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(`${flag} ${JSON.stringify(text)} is not a time: expected ${TIME_FORM}`);
}

export function timeRange(opts: RangeOptions, now = Date.now()): TimeRange {
  const windowText = opts.timeWindow ?? DEFAULT_WINDOW;
  const windowMs = parseDuration(windowText);
  if (windowMs === undefined || windowMs < 1000) throw new UsageError(`-t ${JSON.stringify(windowText)} is not a window: expected ${DURATION_FORM}, at least 1s`);
  const toMs = opts.until === undefined ? now : parseTime(opts.until, '--until', now);
  if (opts.since !== undefined && opts.timeWindow !== undefined) throw new UsageError('give either -t (a window ending at --until) or --since, not both');
  const fromMs = opts.since === undefined ? toMs - windowMs : parseTime(opts.since, '--since', now);
  if (fromMs >= toMs) throw new UsageError(`--since must be before --until (${new Date(fromMs).toISOString()} is not before ${new Date(toMs).toISOString()})`);
  if (toMs > now + 60_000) throw new UsageError(`--until ${new Date(toMs).toISOString()} is in the future`);
  return { fromMs, toMs };
}

/** The range as views print it (`-o json|yaml`): ISO times, named as the flags that set them. */
export function rangeFields(range: TimeRange): { since: string; until: string } {
  return { since: new Date(range.fromMs).toISOString(), until: new Date(range.toMs).toISOString() };
}
