import t from 'tap';
import { Registry } from 'prom-client';
import { SLO_METRIC } from '../../../../common/contract';
import type { ServiceObjective } from '../../../../controller/cluster/types';
import { registerObjectiveGauges } from '../../../../controller/slo/metrics';

t.test('each objective is a gauge by namespace and service, read from the facts at every scrape', async (t) => {
  const registry = new Registry();
  let objectives: ServiceObjective[] = [
    { namespace: 'demo', service: 'books', objective: { successRate: 0.999, latency: { thresholdMs: 300, ratio: 0.99 }, windowSeconds: 2_592_000 } },
    { namespace: 'demo', service: 'web', objective: { latency: { thresholdMs: 1000, ratio: 0.95 }, windowSeconds: 604_800 } },
  ];
  registerObjectiveGauges(registry, () => objectives);
  const text = await registry.metrics();
  t.match(text, `${SLO_METRIC.successRateObjective}{namespace="demo",service="books"} 0.999\n`);
  t.match(text, `${SLO_METRIC.latencyObjective}{namespace="demo",service="books",le="300"} 0.99\n`);
  t.match(text, `${SLO_METRIC.windowSeconds}{namespace="demo",service="books"} 2592000\n`);
  t.match(text, `${SLO_METRIC.latencyObjective}{namespace="demo",service="web",le="1000"} 0.95\n`);
  t.match(text, `${SLO_METRIC.windowSeconds}{namespace="demo",service="web"} 604800\n`);
  t.notMatch(text, /slo_success_rate_objective\{namespace="demo",service="web"\}/, 'web sets no success-rate objective');

  objectives = [{ namespace: 'demo', service: 'web', objective: { successRate: 0.99, windowSeconds: 86_400 } }];
  const after = await registry.metrics();
  t.notMatch(after, /service="books"/, 'a removed objective disappears at the next scrape');
  t.match(after, `${SLO_METRIC.successRateObjective}{namespace="demo",service="web"} 0.99\n`);
  t.notMatch(after, /slo_latency_objective\{/);
});
