// The services' objectives as the controller exports them (controller/slo/metrics.ts): read back from its
// admin /metrics, so the dashboard shows exactly the objectives the Prometheus rules join on.
import { SLO_METRIC } from '../common/contract';
import type { ServiceObjective } from '../common/slo';
import { fetchMetrics, Sample } from '../common/views/exposition';
import type { MetricsSource } from '../common/views/source';

const TIMEOUT_MS = 2000;

export type ObjectivesSource = () => Promise<ServiceObjective[]>;

export function objectivesFromMetrics(url: string): ObjectivesSource {
  return async () => objectivesOf(await fetchMetrics(url, TIMEOUT_MS));
}

/** From a metrics source that scrapes the controller too (a cluster's Prometheus): the same gauges, queried. */
export function objectivesFromSource(source: MetricsSource, clock: () => number = Date.now): ObjectivesSource {
  return async () => {
    const at = clock();
    const by = ['namespace', 'service'];
    const [windows, successRates, latencies] = await Promise.all([
      source.current(SLO_METRIC.windowSeconds, {}, by, at),
      source.current(SLO_METRIC.successRateObjective, {}, by, at),
      source.current(SLO_METRIC.latencyObjective, {}, [...by, 'le'], at),
    ]);
    const samples = (name: string, rows: typeof windows) => rows.map((row): Sample => ({ name, labels: row.labels, value: row.value }));
    return objectivesOf([
      ...samples(SLO_METRIC.windowSeconds, windows),
      ...samples(SLO_METRIC.successRateObjective, successRates),
      ...samples(SLO_METRIC.latencyObjective, latencies),
    ]);
  };
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
