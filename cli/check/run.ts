// Runs categories of checks in order and reports each check once: with a deadline (--wait), a check that fails
// (not a warning) is tried again every second until it passes or time runs out; a fatal failure ends the run.
import type { CheckContext } from './context';
import { CheckFailure, type Category, type CategoryReport, type Check, type CheckOutcome, type CheckReport } from './types';

export const RETRY_INTERVAL_MS = 1000;

export interface RunOptions {
  /** ms since the epoch until which failing checks are retried; none: each check runs once. */
  deadline?: number;
  /** Called with each category name before its first result, and with each result as it is final. */
  onCategory?(name: Category['name']): void;
  onResult?(outcome: CheckOutcome): void;
}

type Attempt = { ok: true; skipped?: string } | { ok: false; error: string; hint: string };

async function attempt(check: Check, ctx: CheckContext): Promise<Attempt> {
  try {
    const result = await check.run(ctx);
    return result ? { ok: true, skipped: result.skipped } : { ok: true };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof CheckFailure && err.hint ? err.hint : check.hint;
    return { ok: false, error: message.split('\n')[0], hint };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function settle(check: Check, ctx: CheckContext, deadline: number | undefined): Promise<Attempt> {
  for (;;) {
    const result = await attempt(check, ctx);
    const remaining = deadline === undefined ? 0 : deadline - Date.now();
    if (result.ok || check.warning || remaining <= 0) return result;
    await sleep(Math.min(RETRY_INTERVAL_MS, remaining));
    ctx.forget();
  }
}

export async function runChecks(categories: readonly Category[], ctx: CheckContext, options: RunOptions = {}): Promise<CheckReport> {
  const report: CheckReport = { success: true, categories: [] };
  for (const category of categories) {
    let section: CategoryReport | undefined;
    for (const check of category.checks) {
      const result = await settle(check, ctx, options.deadline);
      if (result.ok && result.skipped !== undefined) continue;
      if (!section) {
        section = { categoryName: category.name, checks: [] };
        report.categories.push(section);
        options.onCategory?.(category.name);
      }
      const outcome: CheckOutcome = result.ok
        ? { description: check.description, result: 'success' }
        : { description: check.description, result: check.warning ? 'warning' : 'error', error: result.error, hint: result.hint };
      section.checks.push(outcome);
      options.onResult?.(outcome);
      if (outcome.result === 'error') report.success = false;
      if (outcome.result === 'error' && check.fatal) return report;
    }
  }
  return report;
}
