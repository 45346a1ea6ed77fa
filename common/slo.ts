// Service-level objectives as written on a Service (slo.weft.io/* annotations) or in the local endpoints
// file's `slo:` entry, parsed into numbers. Pure and never throws: the answer is a tagged union, so each
// caller decides what a bad objective costs (a refused file, a logged and ignored annotation).
import { LATENCY_BUCKETS_MS } from './contract';
import { parseDuration } from './duration';

export interface LatencyObjective {
  /** A response_latency_ms bucket bound: the `le` the rules read the histogram at. */
  thresholdMs: number;
  /** The share of requests to answer within it: 0.99. */
  ratio: number;
}

export interface Objective {
  /** The share of requests that succeed: 0.999. */
  successRate?: number;
  latency?: LatencyObjective;
  windowSeconds: number;
}

/** A Service's objectives (slo.weft.io/* annotations, or the endpoints file's `slo:`). */
export interface ServiceObjective {
  namespace: string;
  service: string;
  objective: Objective;
}

/** The objective as written: each field optional, as the annotations are. */
export interface ObjectiveText {
  successRate?: string;
  latency?: string;
  window?: string;
}

export type ObjectiveParse =
  /** Neither a success-rate nor a latency objective is set (a window alone sets nothing). */
  | { kind: 'none' }
  | { kind: 'objective'; objective: Objective }
  | { kind: 'invalid'; reason: string };

export const DEFAULT_WINDOW_SECONDS = 30 * 86_400;
/** Below an hour the burn-rate alerts' own windows (up to 6 h) would be longer than the objective's. */
export const MIN_WINDOW_SECONDS = 3_600;
export const MAX_WINDOW_SECONDS = 365 * 86_400;

const PERCENT = /^(\d+(?:\.\d+)?)%?$/;
const DAYS = /^(\d+)d$/;

/** `names` says what each field is called where it was written, for the reason of a refusal. */
export function parseObjective(text: ObjectiveText, names: Readonly<Record<keyof ObjectiveText, string>>): ObjectiveParse {
  if (text.successRate === undefined && text.latency === undefined) return { kind: 'none' };
  const objective: Objective = { windowSeconds: DEFAULT_WINDOW_SECONDS };
  if (text.window !== undefined) {
    const seconds = parseWindow(text.window);
    if (typeof seconds === 'string') return invalid(names.window, text.window, seconds);
    objective.windowSeconds = seconds;
  }
  if (text.successRate !== undefined) {
    const ratio = parsePercent(text.successRate);
    if (ratio === undefined) return invalid(names.successRate, text.successRate, 'expected a percentage above 0 and below 100, e.g. "99.9"');
    objective.successRate = ratio;
  }
  if (text.latency !== undefined) {
    const latency = parseLatency(text.latency);
    if (typeof latency === 'string') return invalid(names.latency, text.latency, latency);
    objective.latency = latency;
  }
  return { kind: 'objective', objective };
}

function invalid(name: string, value: string, why: string): ObjectiveParse {
  return { kind: 'invalid', reason: `${name}=${JSON.stringify(value)} is not valid: ${why}` };
}

/** A ratio strictly between 0 and 1: an objective of 100 % leaves no budget to measure. */
function parsePercent(text: string): number | undefined {
  const m = PERCENT.exec(text.trim());
  const percent = m ? Number(m[1]) : NaN;
  if (!(percent > 0 && percent < 100)) return undefined;
  // Rounded to what was written: 99.9 / 100 is 0.9990000000000001 in floating point, and the gauge shows it.
  return Number((percent / 100).toPrecision(12));
}

/** Seconds, or why not. */
function parseWindow(text: string): number | string {
  const days = DAYS.exec(text.trim());
  const ms = days ? Number(days[1]) * 86_400_000 : parseDuration(text);
  if (ms === undefined) return 'expected a duration like 30d, 7d or 24h';
  const seconds = ms / 1000;
  if (seconds < MIN_WINDOW_SECONDS || seconds > MAX_WINDOW_SECONDS) return 'expected a window from 1h to 365d';
  return seconds;
}

/** `300ms@99`, `1s@99.9`; the threshold must be a bucket bound of response_latency_ms. */
function parseLatency(text: string): LatencyObjective | string {
  const form = 'expected <threshold>@<percent>, e.g. "300ms@99"';
  const at = text.trim().split('@');
  if (at.length !== 2) return form;
  const thresholdMs = parseDuration(at[0]);
  const ratio = parsePercent(at[1]);
  if (thresholdMs === undefined || ratio === undefined) return form;
  if (!LATENCY_BUCKETS_MS.includes(thresholdMs)) return notABound(thresholdMs);
  return { thresholdMs, ratio };
}

/** Names the bounds on either side of `ms`, so the fix is one of them. */
function notABound(ms: number): string {
  const above = LATENCY_BUCKETS_MS.find((b) => b > ms);
  const below = [...LATENCY_BUCKETS_MS].reverse().find((b) => b < ms);
  const nearest = [below, above].filter((b) => b !== undefined).map((b) => `${b}ms`);
  return `${ms}ms is not a bucket bound of response_latency_ms; the nearest ${nearest.length === 1 ? 'is' : 'are'} ${nearest.join(' and ')}`;
}

/** `300ms@99` again, from the numbers: how the dashboard shows an objective. */
export function formatLatencyObjective(latency: LatencyObjective): string {
  return `${latency.thresholdMs}ms@${formatPercent(latency.ratio)}`;
}

/** 0.999 → "99.9" (no float noise such as 99.90000000000001). */
export function formatPercent(ratio: number): string {
  return String(Number((ratio * 100).toFixed(6)));
}
