// What a scenario is: a backend, the protocol the paths forward, the tables it fills, and how to measure one
// path. The orchestrator runs every scenario through every path; the report turns tables into markdown.
import type { BackendKind } from '../backends/main';
import type { OpenPath, PathName } from '../paths';
import type { ForwardedProtocol } from '../protocols';

export interface Column {
  key: string;
  label: string;
  /** Decimal places shown in the markdown table (JSON keeps full precision). */
  digits: number;
}

export interface TableSpec {
  id: string;
  title: string;
  /** How it was measured: tool, connections, rate, duration. */
  method: string;
  columns: Column[];
  /** The column the ratio columns compare. */
  headline: string;
  lowerIsBetter: boolean;
  /** The rows the headline's ratio columns divide by; unset: direct, HAProxy, the HAProxy pair and nginx. */
  ratioTo?: readonly PathName[];
}

export type Values = Record<string, number>;

export interface Row {
  path: PathName;
  values: Values;
  /** Per value, max − min over the rounds (when there was more than one): how much the medians can be trusted. */
  spread?: Values;
  /** Why there are no (or only some) values: not supported here, or what failed. */
  note?: string;
}

export interface Table extends TableSpec {
  rows: Row[];
  /** What the rows show, in words (a scenario's `derive` writes them); the report prints them under the table. */
  findings?: string[];
}

export interface MeasureContext {
  path: OpenPath;
  /** The backend's own processes, to compare proxy CPU with the work of the server behind it. */
  backendPids: number[];
  /** Scratch directory for configs and request bodies. */
  dir: string;
  /** Keeps a remark for this table's row, e.g. the first error behind a count of failed requests. */
  note(text: string): void;
}

/** One measurement filling (part of) one table's row for the path it is given. */
export interface Step {
  tableId: string;
  /** Once per path instead of once per round: for what must come before any traffic (idle memory). */
  once?: boolean;
  /** Only for paths with a proxy in them (memory of the direct path means nothing here). */
  proxiesOnly?: boolean;
  /** Runs before the scenario's warm-up (idle memory must be read before any request). */
  beforeWarmUp?: boolean;
  run(ctx: MeasureContext): Promise<Values>;
}

export interface Scenario {
  /** Short name, for BENCH_SCENARIOS and profile file names. */
  id: string;
  name: string;
  protocol: ForwardedProtocol;
  backend: BackendKind;
  tables: TableSpec[];
  /** The paths it runs through, in table order; unset: the peer paths (bench/paths.ts PEER_PATHS). */
  paths?: readonly PathName[];
  /** Run in this order; each step goes round-robin over the paths, `rounds` times. */
  steps: Step[];
  /**
   * Load run once through every path before the first measured step (after the `beforeWarmUp` ones), untimed:
   * a fresh Node proxy spends its first ~10 s under load compiling (bench/README.md "Warm-up").
   */
  warmUp?(ctx: MeasureContext): Promise<void>;
  rounds: number;
  /** Columns computed once every path has been measured (e.g. latency added over the direct path). */
  derive?(tables: Table[]): void;
}
