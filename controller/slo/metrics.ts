// Each Service's objectives as gauges on the controller's /metrics, so that one generic set of Prometheus rules
// (burn rates, error budgets) joins on them by namespace and service instead of one rule per service. Read
// from the cluster facts at every scrape: a changed annotation or endpoints file shows at the next one.
import { Gauge, Registry } from 'prom-client';
import { SLO_METRIC } from '../../common/contract';
import type { ServiceObjective } from '../cluster/types';

/** `objectives` answers the current facts (empty while they are not started). */
export function registerObjectiveGauges(registry: Registry, objectives: () => readonly ServiceObjective[]): void {
  const registers = [registry];
  const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>, o: ServiceObjective) => void) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const o of objectives()) fill(this, o);
      },
    });
  gauge(SLO_METRIC.successRateObjective, 'Success-rate objective of a service, as a ratio (slo.weft.io/success-rate)', ['namespace', 'service'], (g, o) => {
    if (o.objective.successRate !== undefined) g.set({ namespace: o.namespace, service: o.service }, o.objective.successRate);
  });
  gauge(SLO_METRIC.latencyObjective, 'Share of requests to answer within le milliseconds (slo.weft.io/latency)', ['namespace', 'service', 'le'], (g, o) => {
    const latency = o.objective.latency;
    if (latency) g.set({ namespace: o.namespace, service: o.service, le: String(latency.thresholdMs) }, latency.ratio);
  });
  gauge(SLO_METRIC.windowSeconds, 'Window the objectives of a service hold over, in seconds (slo.weft.io/window)', ['namespace', 'service'], (g, o) => {
    g.set({ namespace: o.namespace, service: o.service }, o.objective.windowSeconds);
  });
}
