// The proxy's metric families (CONTRACT.md "Metrics"): one prom-client Registry per process, Node process
// metrics on, and the same names and labels as Linkerd2's proxy.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS_MS, METRIC, TARGET_LABELS } from '../../common/contract';
import type { IdlePolicy } from '../../common/idle-cache';
import { EventLoopDelayHistogram } from './event-loop';
import { TcpSeries } from './tcp-series';

const RESPONSE_LABELS = [...TARGET_LABELS, 'status_code', 'classification', 'grpc_status', 'error'] as const;
// A connection's series name what its requests' do (dst_* on outbound ones, as Linkerd's), plus which end it is.
const TCP_LABELS = [...TARGET_LABELS, 'peer'] as const;
const TCP_CLOSE_LABELS = [...TCP_LABELS, 'classification', 'errno'] as const;

export class ProxyRegistry {
  readonly registry = new Registry();
  readonly requestTotal: Counter<(typeof TARGET_LABELS)[number]>;
  readonly responseTotal: Counter<(typeof RESPONSE_LABELS)[number]>;
  readonly responseLatencyMs: Histogram<(typeof RESPONSE_LABELS)[number]>;
  readonly tcpOpenTotal: Counter<(typeof TCP_LABELS)[number]>;
  readonly tcpCloseTotal: Counter<(typeof TCP_CLOSE_LABELS)[number]>;
  readonly tcpOpenConnections: Gauge<(typeof TCP_LABELS)[number]>;
  readonly tcpReadBytesTotal: Counter<(typeof TCP_LABELS)[number]>;
  readonly tcpWriteBytesTotal: Counter<(typeof TCP_LABELS)[number]>;
  readonly eventLoopDelay: EventLoopDelayHistogram;
  /** Removes the tcp_* series of label sets unused for the idle timeout. */
  readonly tcpSeries: TcpSeries;
  readonly internalErrorsTotal: Counter<'direction'>;

  constructor(idle: IdlePolicy) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requestTotal = new Counter({ name: METRIC.requestTotal, help: 'Total HTTP requests', labelNames: TARGET_LABELS, registers });
    this.responseTotal = new Counter({ name: METRIC.responseTotal, help: 'Total HTTP responses', labelNames: RESPONSE_LABELS, registers });
    this.responseLatencyMs = new Histogram({
      name: METRIC.responseLatencyMs,
      help: 'Elapsed time from request headers to response headers, in milliseconds',
      labelNames: RESPONSE_LABELS,
      buckets: [...LATENCY_BUCKETS_MS],
      registers,
    });
    this.tcpOpenTotal = new Counter({ name: METRIC.tcpOpenTotal, help: 'Total TCP connections opened', labelNames: TCP_LABELS, registers });
    this.tcpCloseTotal = new Counter({ name: METRIC.tcpCloseTotal, help: 'Total TCP connections closed', labelNames: TCP_CLOSE_LABELS, registers });
    this.tcpOpenConnections = new Gauge({ name: METRIC.tcpOpenConnections, help: 'TCP connections open now', labelNames: TCP_LABELS, registers });
    this.tcpReadBytesTotal = new Counter({ name: METRIC.tcpReadBytesTotal, help: 'Bytes read from peers', labelNames: TCP_LABELS, registers });
    this.tcpWriteBytesTotal = new Counter({ name: METRIC.tcpWriteBytesTotal, help: 'Bytes written to peers', labelNames: TCP_LABELS, registers });
    this.eventLoopDelay = new EventLoopDelayHistogram(this.registry);
    this.tcpSeries = new TcpSeries(this, idle);
    this.internalErrorsTotal = new Counter({ name: METRIC.proxyInternalErrorsTotal, help: 'Faults inside the proxy, each contained to its request or connection', labelNames: ['direction'], registers });
  }
}
