// Per-target HTTP metrics. Children are created the first time a label set is seen and kept, so counting a
// request on the hot path is a map lookup and an increment.
import type { Counter, Histogram } from 'prom-client';
import type { TargetLabels } from './labels';
import type { ProxyRegistry } from './registry';

interface ResponseChildren {
  total: Counter.Internal;
  latency: Histogram.Internal<string>;
}

const NO_GRPC = -1;

export class HttpTargetMetrics {
  private readonly requests: Counter.Internal;
  private readonly responses = new Map<number, ResponseChildren>();

  constructor(
    private readonly registry: ProxyRegistry,
    private readonly labels: TargetLabels,
  ) {
    this.requests = registry.requestTotal.labels(labels);
  }

  request(): void {
    this.requests.inc();
  }

  /** Latency is time to the response's headers, as Linkerd measures it; `error` names a proxy-made failure. */
  response(status: number, grpcStatus: number | undefined, latencyMs: number, error?: string): void {
    const grpc = grpcStatus ?? NO_GRPC;
    const key = status * 1000 + grpc + 1 + (error ? 500 : 0);
    let children = this.responses.get(key);
    if (!children) {
      children = this.createChildren(status, grpcStatus, error);
      this.responses.set(key, children);
    }
    children.total.inc();
    children.latency.observe(latencyMs);
  }

  private createChildren(status: number, grpcStatus: number | undefined, error?: string): ResponseChildren {
    const success = grpcStatus === undefined ? status < 500 : grpcStatus === 0;
    const labels: Record<string, string> = { ...this.labels, status_code: String(status), classification: success && !error ? 'success' : 'failure' };
    if (grpcStatus !== undefined) labels.grpc_status = String(grpcStatus);
    if (error) labels.error = error;
    return { total: this.registry.responseTotal.labels(labels), latency: this.registry.responseLatencyMs.labels(labels) };
  }
}
