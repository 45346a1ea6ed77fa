// How `weft check` prints: `table` streams every check under its category, `short` only the checks that did not
// pass, `json` one document at the end (CONTRACT.md's shape). Glyphs ✔ ‼ ×; under a failure or warning, the error
// and one line saying what to do.
import type { CheckOutcome, CheckReport } from './types';

export const CHECK_OUTPUTS = ['table', 'json', 'short'] as const;
export type CheckOutput = (typeof CHECK_OUTPUTS)[number];

const GLYPHS = { success: '✔', warning: '‼', error: '×' } as const;

export function outcomeLines(outcome: CheckOutcome): string[] {
  const lines = [`${GLYPHS[outcome.result]} ${outcome.description}`];
  if (outcome.error !== undefined) lines.push(`    ${outcome.error}`);
  if (outcome.hint !== undefined) lines.push(`    hint: ${outcome.hint}`);
  return lines;
}

export function categoryLines(name: string, first: boolean): string[] {
  return [...(first ? [] : ['']), name, '-'.repeat(name.length)];
}

export function summaryLine(report: CheckReport): string {
  return `Status check results are ${report.success ? GLYPHS.success : GLYPHS.error}`;
}

/** Writes as the checks finish: the person watching sees progress, and `short` keeps only what needs attention. */
export class StreamingPrinter {
  private categories = 0;
  private pending?: string;

  constructor(
    private readonly output: Exclude<CheckOutput, 'json'>,
    private readonly write: (text: string) => void,
  ) {}

  category(name: string): void {
    this.pending = name;
    if (this.output === 'table') this.flushCategory();
  }

  result(outcome: CheckOutcome): void {
    if (this.output === 'short' && outcome.result === 'success') return;
    this.flushCategory();
    this.write(`${outcomeLines(outcome).join('\n')}\n`);
  }

  finish(report: CheckReport): void {
    this.write(`${this.categories > 0 ? '\n' : ''}${summaryLine(report)}\n`);
  }

  private flushCategory(): void {
    if (this.pending === undefined) return;
    this.write(`${categoryLines(this.pending, this.categories === 0).join('\n')}\n`);
    this.categories++;
    this.pending = undefined;
  }
}

export function formatJson(report: CheckReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
