// What a check is and what running one gives: each check has a description, one line that says what to do when
// it fails, and whether a failure is only a warning (‼) or ends the run (fatal: later checks would only repeat it).
import type { CheckCategoryName, CheckResultName } from '../../common/contract';
import type { CheckContext } from './context';

/** A check that does not apply here (e.g. HA checks on a non-HA install): not shown. */
export interface Skipped {
  skipped: string;
}

export interface Check {
  description: string;
  /** What to do when the check fails, in one line; a CheckFailure may say something more precise. */
  hint: string;
  warning?: boolean;
  fatal?: boolean;
  run(ctx: CheckContext): Promise<void | Skipped>;
}

export interface Category {
  name: CheckCategoryName;
  checks: Check[];
}

/** How a check failed, in the words a person needs, and (optionally) what to do instead of the check's own hint. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One check's outcome, as `-o json` prints it (CONTRACT.md "Install and check"). */
export interface CheckOutcome {
  description: string;
  result: CheckResultName;
  error?: string;
  hint?: string;
}

export interface CategoryReport {
  categoryName: CheckCategoryName;
  checks: CheckOutcome[];
}

export interface CheckReport {
  success: boolean;
  categories: CategoryReport[];
}
