// Golden metrics for the demo's status line, read from each proxy's admin `/metrics` (Prometheus text).
import { METRIC } from '../../common/contract';
import { Sample, sumWhere } from '../../common/views/exposition';

export interface InboundTotals {
  requests: number;
  responses: number;
  successes: number;
  tcpConnections: number;
}

/** What a workload's proxy has served inbound so far. */
export function inboundTotals(samples: readonly Sample[]): InboundTotals {
  const inbound = { direction: 'inbound' };
  return {
    requests: sumWhere(samples, METRIC.requestTotal, inbound),
    responses: sumWhere(samples, METRIC.responseTotal, inbound),
    successes: sumWhere(samples, METRIC.responseTotal, { ...inbound, classification: 'success' }),
    // Each accepted connection is counted on its `peer="src"` side; `peer="dst"` is the proxy's own to the app.
    tcpConnections: sumWhere(samples, METRIC.tcpOpenTotal, { ...inbound, peer: 'src' }),
  };
}
