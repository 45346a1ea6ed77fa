// Turns one run into bench/results/latest.md (tables with ratios, targets met or missed) and latest.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { selfTimeTable } from './cpuprofile';
import { PathName } from './paths';
import type { Row, Table } from './scenarios/types';
import type { ProfileReport } from './profile';
import type { TargetResult } from './targets';

export interface BenchRun {
  startedAt: string;
  durationS: number;
  environment: Record<string, string>;
  /** How processes were placed on cores, and other things a reader must know to judge the numbers. */
  notes: string[];
  tables: Table[];
  targets: TargetResult[];
  extras: { name: string; value: number; unit: string; method: string }[];
  /** Benches with tables of their own shape (balancing), rendered as given. */
  sections: { title: string; markdown: string }[];
  /** Taken only when weft missed a target. */
  profile?: ProfileReport;
  /** For a partial run (bench/selection.ts): what was selected. */
  selection?: string[];
}

const RATIO_REFERENCES: readonly PathName[] = ['direct', 'haproxy', 'haproxy 2 hops', 'nginx'];

function format(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

function ratioCell(table: Table, row: Row, reference: PathName): string {
  const ref = table.rows.find((r) => r.path === reference)?.values[table.headline];
  const value = row.values[table.headline];
  if (ref === undefined || value === undefined || ref === 0) return '—';
  return `${(value / ref).toFixed(2)}×`;
}

function renderTable(table: Table): string {
  const headline = table.columns.find((c) => c.key === table.headline)?.label ?? table.headline;
  const references = table.ratioTo ?? RATIO_REFERENCES;
  const header = ['path', ...table.columns.map((c) => c.label), ...references.map((r) => `${headline}: ÷ ${r}`), 'note'];
  const ratios = references.length > 0 ? ` Ratios divide this row's *${headline}* by the reference row's (${table.lowerIsBetter ? 'lower' : 'higher'} is better).` : '';
  const lines = [`### ${table.title}`, '', `Method: ${table.method}.${ratios}`, ''];
  lines.push(`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`);
  for (const row of table.rows) {
    const cells = [
      row.path,
      ...table.columns.map((c) => format(row.values[c.key], c.digits)),
      ...references.map((r) => ratioCell(table, row, r)),
      (row.note ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 300),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  if (table.findings?.length) lines.push('', ...table.findings.map((f) => `- ${f}`));
  return lines.join('\n');
}

function renderTargets(targets: TargetResult[]): string {
  const lines = ['## Targets', '', '| target | value | result | note |', '| --- | --- | --- | --- |'];
  for (const t of targets) {
    const result = t.met === undefined ? 'not measured' : t.met ? '**met**' : '**missed**';
    lines.push(`| ${t.target} | ${t.value === undefined ? '—' : `${t.value.toFixed(2)} ${t.unit}`} | ${result} | ${t.note ?? ''} |`);
  }
  return lines.join('\n');
}

function renderProfile(p: ProfileReport): string {
  return [
    '## Where weft spends its CPU (a target was missed)',
    '',
    `weft, one hop, under \`node --cpu-prof\` while wrk saturated it with HTTP/1.1 for ${p.seconds} s after a warm-up (${p.requestsPerSecond.toFixed(0)} req/s while profiled). Top self-time functions over that window, shares of busy (non-idle) time; profile: \`${p.file}\`.`,
    '',
    selfTimeTable(p.top),
  ].join('\n');
}

export function renderMarkdown(run: BenchRun): string {
  const env = Object.entries(run.environment).map(([k, v]) => `- ${k}: ${v}`);
  const extras = run.extras.map((e) => `- ${e.name}: ${e.value.toFixed(e.value < 10 ? 2 : 0)} ${e.unit} (${e.method})`);
  return [
    '# weft benchmark: latest run',
    '',
    `Run ${run.startedAt}, ${run.durationS.toFixed(0)} s, by \`npm run bench\`. The machine is shared and noisy: read the ratios, not the absolute numbers.`,
    '',
    ...(run.selection ? [`A partial run: ${run.selection.join('; ')}.`, ''] : []),
    ...run.notes.map((n) => `- ${n}`),
    '',
    renderTargets(run.targets),
    '',
    '## Scenarios',
    '',
    ...run.tables.map((t) => `${renderTable(t)}\n`),
    ...run.sections.flatMap((section) => [`## ${section.title}`, '', section.markdown, '']),
    ...(extras.length > 0 ? ['## mTLS and control plane', '', ...extras, ''] : []),
    ...(run.profile ? [renderProfile(run.profile), ''] : []),
    '## Environment',
    '',
    ...env,
    '',
  ].join('\n');
}

/** `name`.md and `name`.json in `dir`: latest for a full run, quick for a partial one. */
export function writeResults(dir: string, name: string, run: BenchRun): { markdown: string; json: string } {
  fs.mkdirSync(dir, { recursive: true });
  const markdown = path.join(dir, `${name}.md`);
  const json = path.join(dir, `${name}.json`);
  fs.writeFileSync(markdown, renderMarkdown(run));
  fs.writeFileSync(json, `${JSON.stringify(run, null, 2)}\n`);
  return { markdown, json };
}
