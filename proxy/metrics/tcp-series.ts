// The tcp_* series of each label set (a peer, an endpoint, a TLS state): kept while a connection with those
// labels is open and for the idle timeout after the last one closed, so their last counts are scraped, then
// removed from the registry. Endpoints come and go with discovery and original destinations; /metrics must not
// grow with them.
import { IdleCache, IdlePolicy } from '../../common/idle-cache';
import type { ProxyRegistry } from './registry';

export type TcpLabels = Record<string, string>;

export interface TcpLabelSet {
  readonly key: string;
  readonly labels: TcpLabels;
  open: number;
  /** The tcp_close_total label sets used with these labels (by outcome), to remove them too. */
  readonly closeLabels: Map<string, TcpLabels>;
}

function keyOf(labels: TcpLabels): string {
  let key = '';
  for (const name in labels) key += `${name}=${labels[name]}\n`;
  return key;
}

export class TcpSeries {
  private readonly sets: IdleCache<string, TcpLabelSet>;

  constructor(
    private readonly registry: ProxyRegistry,
    idle: IdlePolicy,
  ) {
    this.sets = new IdleCache({ ...idle, inUse: (set) => set.open > 0, onEvict: (set) => this.remove(set) });
  }

  /** A connection with these labels opened; pass what this returns to closed(). */
  opened(labels: TcpLabels): TcpLabelSet {
    const key = keyOf(labels);
    const set = this.sets.getOrCreate(key, () => ({ key, labels, open: 0, closeLabels: new Map() }));
    set.open++;
    return set;
  }

  /** It closed, counted in tcp_close_total with `closeLabels`. */
  closed(set: TcpLabelSet, closeLabels: TcpLabels): void {
    set.open--;
    this.sets.get(set.key);
    const key = keyOf(closeLabels);
    if (!set.closeLabels.has(key)) set.closeLabels.set(key, closeLabels);
  }

  private remove(set: TcpLabelSet): void {
    const r = this.registry;
    for (const metric of [r.tcpOpenTotal, r.tcpOpenConnections, r.tcpReadBytesTotal, r.tcpWriteBytesTotal]) metric.remove(set.labels);
    for (const labels of set.closeLabels.values()) r.tcpCloseTotal.remove(labels);
  }
}
