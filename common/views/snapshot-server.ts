// A long-running process's local series, lent to short-lived ones: `weft demo` keeps the last hour of its
// proxies' metrics (snapshots.ts) and a CLI view asks it for the two snapshots its range needs, so that
// `weft stat -t 10m` works without Prometheus. GET /snapshots?from=MS&to=MS → [start, end] as JSON.
import type * as http from 'node:http';
import { sendText } from '../admin-server';
import { HttpTarget, httpGet } from './http-target';
import type { Snapshot, SnapshotHistory, SnapshotStore } from './snapshots';
import { SourceUnavailable, TimeRange } from './source';

export const SNAPSHOTS_PATH = '/snapshots';

export function serveSnapshots(store: SnapshotStore): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://views');
    if (url.pathname !== SNAPSHOTS_PATH || req.method !== 'GET') return sendText(res, 404, `try GET ${SNAPSHOTS_PATH}?from=MS&to=MS\n`);
    const fromMs = Number(url.searchParams.get('from'));
    const toMs = Number(url.searchParams.get('to'));
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs > toMs) return sendText(res, 400, 'from and to must be milliseconds since the epoch, from ≤ to\n');
    void store.pair({ fromMs, toMs }).then((pair) => sendText(res, 200, JSON.stringify(pair ?? null), 'application/json'));
  };
}

/** The history of the process serving it. */
export class RemoteSnapshots implements SnapshotHistory {
  readonly description: string;

  constructor(
    private readonly target: HttpTarget,
    what: string,
  ) {
    this.description = what;
  }

  async pair(range: TimeRange): Promise<[Snapshot, Snapshot] | undefined> {
    const answer = await httpGet(this.target, `${SNAPSHOTS_PATH}?from=${Math.round(range.fromMs)}&to=${Math.round(range.toMs)}`);
    if (answer.status !== 200) throw new SourceUnavailable(`${this.target.label} answered ${answer.status}: ${answer.body.trim()}`);
    return (JSON.parse(answer.body) as [Snapshot, Snapshot] | null) ?? undefined;
  }
}
