// Per-target HTTP metrics. Children are created the first time a label set is seen and kept, so counting a
// request on the hot path is a map lookup and an increment, until the target is forgotten (http/targets.ts):
// then they are removed from the registry.
import type { Counter, Histogram } from 'prom-client';
import type { TargetLabels } from './labels';
import type { ProxyRegistry } from './registry';

interface ResponseChildren {
  labels: Record<string, string>;
  total: Counter.Internal;
  latency: Histogram.Internal<string>;
}

const NO_GRPC = -1;

export class HttpTargetMetrics {
  private readonly requests: Counter.Internal;
  private readonly responses = new Map<number, ResponseChildren>();
  private removed = false;

  constructor(
    private readonly registry: ProxyRegistry,
    /** What tap reports of a request's target (proxy/tap/taps.ts). */
    readonly labels: TargetLabels,
  ) {
    this.requests = registry.requestTotal.labels(labels);
  }

  request(): void {
    this.requests.inc();
  }

  /** Latency is time to the response's headers, as Linkerd measures it; `error` names a proxy-made failure. */
  response(status: number, grpcStatus: number | undefined, latencyMs: number, error?: string): void {
    // A request still in flight when its target was forgotten (it outlived the idle timeout): counting it would
    // bring back series nobody removes again.
    if (this.removed) return;
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

  /** Removes this target's series from the registry; later observations are dropped. */
  remove(): void {
    this.removed = true;
    this.registry.requestTotal.remove(this.labels);
    for (const { labels } of this.responses.values()) {
      this.registry.responseTotal.remove(labels);
      this.registry.responseLatencyMs.remove(labels);
    }
    this.responses.clear();
  }

  private createChildren(status: number, grpcStatus: number | undefined, error?: string): ResponseChildren {
    const success = grpcStatus === undefined ? status < 500 : grpcStatus === 0;
    const labels: Record<string, string> = { ...this.labels, status_code: String(status), classification: success && !error ? 'success' : 'failure' };
    if (grpcStatus !== undefined) labels.grpc_status = String(grpcStatus);
    if (error) labels.error = error;
    return { labels, total: this.registry.responseTotal.labels(labels), latency: this.registry.responseLatencyMs.labels(labels) };
  }
}
