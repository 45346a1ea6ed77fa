// The destination client's metrics: how many authorities it follows and whether their streams are up, what
// it receives, and how stale the answers in force may be while the controller is unreachable.
import { Counter, Gauge, Registry } from 'prom-client';
import { DESTINATION_METRIC } from '../../common/contract';

export interface StreamCensus {
  live: number;
  reconnecting: number;
  /** Milliseconds since the oldest stream still down went down; 0 when none is. */
  oldestDownMs: number;
}

export class DiscoveryMetrics {
  readonly updates: Counter<'kind'>;
  readonly reconnects: Counter;

  constructor(registry: Registry, census: () => StreamCensus) {
    const registers = [registry];
    new Gauge({
      name: DESTINATION_METRIC.clientStreams,
      help: 'Authorities followed through the destination service, by stream state',
      labelNames: ['state'],
      registers,
      collect() {
        const now = census();
        this.set({ state: 'live' }, now.live);
        this.set({ state: 'reconnecting' }, now.reconnecting);
      },
    });
    new Gauge({
      name: DESTINATION_METRIC.clientStaleSeconds,
      help: 'Seconds the oldest answer still in force has gone unconfirmed because its stream is down',
      registers,
      collect() {
        this.set(census().oldestDownMs / 1000);
      },
    });
    this.updates = new Counter({ name: DESTINATION_METRIC.clientUpdatesTotal, help: 'Destination messages received', labelNames: ['kind'], registers });
    this.reconnects = new Counter({ name: DESTINATION_METRIC.clientReconnectsTotal, help: 'Destination streams opened again after a failure', registers });
  }
}
