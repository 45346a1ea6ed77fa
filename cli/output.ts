// `-o table|json|yaml` for every command that prints data (CONTRACT.md "Programs"): one option, one renderer.
import { Option } from 'commander';
import YAML from 'yaml';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table');
}

/** `data` as JSON or YAML, or the table of `header` and `rows` (a cell that is empty prints as `-`). */
export function render(data: unknown, format: OutputFormat, header: readonly string[], rows: () => string[][]): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  if (format === 'yaml') return YAML.stringify(data);
  return formatTable(header, rows());
}

export function formatTable(header: readonly string[], rows: readonly string[][]): string {
  const cells = [header, ...rows.map((r) => r.map((cell) => (cell === '' ? '-' : cell)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}
