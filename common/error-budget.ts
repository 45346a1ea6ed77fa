// Error budgets and burn rates for one objective, from counts of good and total requests. Pure.
//
// The budget of an objective `o` is the share (1 - o) of requests that may fail over its window. The burn rate
// over a period is how fast that period spent it: its failure ratio / (1 - o); 1 spends exactly the whole
// budget by the window's end. Multi-window alerts (Google's SRE workbook): page when both the 1h and the 5m burn
// rates pass 14.4 (2 % of a 30-day budget in an hour), ticket when both the 6h and the 30m rates pass 6 (5 % in
// six hours). For another window the same shares of its budget are meant, so the factors scale with its length.

import { SLO_BURN_ALERTS, SLO_REFERENCE_WINDOW_SECONDS } from './contract';
import { parseDuration } from './duration';

export interface BurnRateAlert {
  severity: 'page' | 'ticket';
  longSeconds: number;
  shortSeconds: number;
  /** The burn rate both windows must pass, for the objective's own window. */
  factor: number;
}

const seconds = (window: string): number => parseDuration(window)! / 1000;
/** The same pairs as the Prometheus alert rules (one list in the contract); success and latency share them. */
const ALERTS_FOR_30_DAYS: readonly BurnRateAlert[] = SLO_BURN_ALERTS.filter((alert) => alert.objective === 'success').map(
  (alert) => ({ severity: alert.severity, longSeconds: seconds(alert.long), shortSeconds: seconds(alert.short), factor: alert.factor }),
);

export function burnRateAlerts(windowSeconds: number): BurnRateAlert[] {
  return ALERTS_FOR_30_DAYS.map((alert) => ({ ...alert, factor: (alert.factor * windowSeconds) / SLO_REFERENCE_WINDOW_SECONDS }));
}

/** Requests over some period: `good` of `total` met the objective (succeeded, or answered in time). */
export interface Counts {
  good: number;
  total: number;
}

/** undefined without requests: nothing was spent, and nothing says how fast it would be. */
export function burnRate(counts: Counts, objective: number): number | undefined {
  if (!(counts.total > 0)) return undefined;
  const bad = Math.min(Math.max(counts.total - counts.good, 0), counts.total);
  return bad / counts.total / (1 - objective);
}

/**
 * The share of the window's budget still left (1 = untouched, 0 = spent, below 0 = overspent), from the counts
 * over the part of the window that has data (`coveredSeconds`, e.g. since the mesh started). Time without data
 * spent nothing, so a young service at a steady burn rate sees its budget go down as time passes, and once the
 * data covers the whole window this is the usual 1 - failure ratio / (1 - o).
 */
export function budgetRemaining(counts: Counts, objective: number, coveredSeconds: number, windowSeconds: number): number {
  const rate = burnRate(counts, objective);
  if (rate === undefined) return 1;
  const covered = Math.min(Math.max(coveredSeconds, 0), windowSeconds);
  return 1 - (rate * covered) / windowSeconds;
}

/** Both windows of an alert at or over its factor: the alert fires. */
export function alertFiring(alert: BurnRateAlert, longRate: number | undefined, shortRate: number | undefined): boolean {
  return longRate !== undefined && shortRate !== undefined && longRate >= alert.factor && shortRate >= alert.factor;
}
