// The SLO panel: for each service with objectives, how much of its error budget is left and how fast it burns
// over the alert windows, from its callers' outbound series (the service as its clients see it, as the
// Prometheus rules of `weft install prometheus` read it).
import { METRIC } from '../common/contract';
import { alertFiring, budgetRemaining, burnRate, burnRateAlerts, Counts } from '../common/error-budget';
import type { ServiceObjective } from '../common/slo';
import type { Matchers, MetricsSource, TimeRange } from '../common/views/source';
import { valueOf } from './overview';

/** The burn-rate alerts' windows, in seconds, by the name the page shows. */
const BURN_WINDOWS = { '5m': 300, '30m': 1800, '1h': 3600, '6h': 21600 } as const;
type BurnWindow = keyof typeof BURN_WINDOWS;

export interface ObjectiveView {
  kind: 'success-rate' | 'latency';
  /** The ratio to meet: 0.999. */
  target: number;
  /** Latency objectives: the bucket bound, in milliseconds. */
  le?: number;
  /** 1 untouched, 0 spent, below 0 overspent. */
  budgetRemaining: number;
  /** How much of the window the budget is computed over (the rest had no data yet). */
  coveredSeconds: number;
  burnRates: Record<BurnWindow, number | null>;
  alerts: { severity: string; long: string; short: string; factor: number; firing: boolean }[];
}

export interface ServiceSlo {
  namespace: string;
  service: string;
  windowSeconds: number;
  objectives: ObjectiveView[];
}

/** `dataSinceMs`: when the source's data begins (e.g. the demo's start); undefined when it holds every window. */
export async function serviceSlos(source: MetricsSource, objectives: readonly ServiceObjective[], atMs: number, dataSinceMs?: number): Promise<ServiceSlo[]> {
  return Promise.all(
    objectives.map(async ({ namespace, service, objective }) => {
      const scope = { direction: 'outbound', dst_namespace: namespace, dst_service: service };
      const views: Promise<ObjectiveView>[] = [];
      const view = (kind: ObjectiveView['kind'], target: number, counter: CountsOver, le?: number) =>
        views.push(objectiveView(kind, target, counter, objective.windowSeconds, atMs, dataSinceMs, le));
      if (objective.successRate !== undefined) view('success-rate', objective.successRate, (range) => successCounts(source, scope, range));
      if (objective.latency) {
        const le = objective.latency.thresholdMs;
        view('latency', objective.latency.ratio, (range) => latencyCounts(source, scope, le, range), le);
      }
      return { namespace, service, windowSeconds: objective.windowSeconds, objectives: await Promise.all(views) };
    }),
  );
}

type CountsOver = (range: TimeRange) => Promise<Counts>;

async function objectiveView(
  kind: ObjectiveView['kind'],
  target: number,
  countsOver: CountsOver,
  windowSeconds: number,
  atMs: number,
  dataSinceMs: number | undefined,
  le: number | undefined,
): Promise<ObjectiveView> {
  const fromMs = Math.max(atMs - windowSeconds * 1000, dataSinceMs ?? -Infinity);
  const names = Object.keys(BURN_WINDOWS) as BurnWindow[];
  const [whole, ...recent] = await Promise.all([
    countsOver({ fromMs, toMs: atMs }),
    ...names.map((name) => countsOver({ fromMs: atMs - BURN_WINDOWS[name] * 1000, toMs: atMs })),
  ]);
  const coveredSeconds = (atMs - fromMs) / 1000;
  const burnRates = Object.fromEntries(names.map((name, i) => [name, burnRate(recent[i], target) ?? null])) as Record<BurnWindow, number | null>;
  const alerts = burnRateAlerts(windowSeconds).map((alert) => {
    const long = windowName(alert.longSeconds);
    const short = windowName(alert.shortSeconds);
    return { severity: alert.severity, long, short, factor: alert.factor, firing: alertFiring(alert, burnRates[long] ?? undefined, burnRates[short] ?? undefined) };
  });
  const view: ObjectiveView = { kind, target, budgetRemaining: budgetRemaining(whole, target, coveredSeconds, windowSeconds), coveredSeconds, burnRates, alerts };
  if (le !== undefined) view.le = le;
  return view;
}

function windowName(seconds: number): BurnWindow {
  return (Object.keys(BURN_WINDOWS) as BurnWindow[]).find((name) => BURN_WINDOWS[name] === seconds)!;
}

async function successCounts(source: MetricsSource, scope: Matchers, range: TimeRange): Promise<Counts> {
  const [all, ok] = await Promise.all([
    source.increase(METRIC.responseTotal, scope, [], range),
    source.increase(METRIC.responseTotal, { ...scope, classification: 'success' }, [], range),
  ]);
  return { good: valueOf(ok, {}), total: valueOf(all, {}) };
}

/** Good: answered within `le` ms (that bucket); total: every response (the +Inf bucket). */
async function latencyCounts(source: MetricsSource, scope: Matchers, le: number, range: TimeRange): Promise<Counts> {
  const bucket = `${METRIC.responseLatencyMs}_bucket`;
  const [all, fast] = await Promise.all([source.increase(bucket, { ...scope, le: '+Inf' }, [], range), source.increase(bucket, { ...scope, le: String(le) }, [], range)]);
  return { good: valueOf(fast, {}), total: valueOf(all, {}) };
}
