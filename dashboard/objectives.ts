// The services' objectives as the controller exports them (controller/slo/metrics.ts): read back from its
// admin /metrics, so the dashboard shows exactly the objectives the Prometheus rules join on.
import { SLO_METRIC } from '../common/contract';
import type { ServiceObjective } from '../common/slo';
import { fetchMetrics, Sample } from '../common/views/exposition';

const TIMEOUT_MS = 2000;

export type ObjectivesSource = () => Promise<ServiceObjective[]>;

export function objectivesFromMetrics(url: string): ObjectivesSource {
  return async () => objectivesOf(await fetchMetrics(url, TIMEOUT_MS));
}

/** One objective per service that has a window gauge, with the success-rate and latency gauges that name it. */
export function objectivesOf(samples: readonly Sample[]): ServiceObjective[] {
  const byService = new Map<string, ServiceObjective>();
  for (const s of samples) {
    if (s.name !== SLO_METRIC.windowSeconds) continue;
    const { namespace = '', service = '' } = s.labels;
    byService.set(`${namespace}/${service}`, { namespace, service, objective: { windowSeconds: s.value } });
  }
  for (const s of samples) {
    const entry = byService.get(`${s.labels.namespace ?? ''}/${s.labels.service ?? ''}`);
    if (!entry) continue;
    if (s.name === SLO_METRIC.successRateObjective) entry.objective.successRate = s.value;
    if (s.name === SLO_METRIC.latencyObjective) entry.objective.latency = { thresholdMs: Number(s.labels.le), ratio: s.value };
  }
  return [...byService.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service));
}
