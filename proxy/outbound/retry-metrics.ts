// retry_total and retry_budget_exhausted_total, labelled like request_total with the target whose response
// was retried (or would have been). Children are cached per target, as the golden metrics are, and removed
// with it (forget).
import { Counter } from 'prom-client';
import { METRIC, TARGET_LABELS } from '../../common/contract';
import type { Endpoint } from '../discovery/types';
import type { Target } from '../http/sink';
import { outboundLabels } from '../metrics/labels';
import type { ProxyRegistry } from '../metrics/registry';

type Children = { labels: Record<string, string>; retries: Counter.Internal; exhausted: Counter.Internal };

export class RetryMetrics {
  private readonly retries: Counter<(typeof TARGET_LABELS)[number]>;
  private readonly exhausted: Counter<(typeof TARGET_LABELS)[number]>;
  private readonly children = new WeakMap<Target, Children>();

  constructor(registry: ProxyRegistry) {
    const registers = [registry.registry];
    this.retries = new Counter({ name: METRIC.retryTotal, help: 'Requests sent again after a retryable failure', labelNames: TARGET_LABELS, registers });
    this.exhausted = new Counter({
      name: METRIC.retryBudgetExhaustedTotal,
      help: 'Retryable failures not retried because the retry budget was spent',
      labelNames: TARGET_LABELS,
      registers,
    });
  }

  retried(target: Target, endpoint: Endpoint): void {
    this.for(target, endpoint).retries.inc();
  }

  budgetExhausted(target: Target, endpoint: Endpoint): void {
    this.for(target, endpoint).exhausted.inc();
  }

  /** The target was forgotten (http/targets.ts): its series go too. */
  forget(target: Target): void {
    const children = this.children.get(target);
    if (!children) return;
    this.children.delete(target);
    this.retries.remove(children.labels);
    this.exhausted.remove(children.labels);
  }

  private for(target: Target, endpoint: Endpoint): Children {
    let children = this.children.get(target);
    if (!children) {
      const labels = outboundLabels(target.authority, endpoint) as Record<string, string>;
      children = { labels, retries: this.retries.labels(labels), exhausted: this.exhausted.labels(labels) };
      this.children.set(target, children);
    }
    return children;
  }
}
