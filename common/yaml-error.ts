// A YAML (or JSON) syntax error as weft reports it: `SOURCE:LINE:COL: what is wrong`, one line.
import type { YAMLError } from 'yaml';

/** Where the error is (1-based; 0 when the library could not tell) and what is wrong, without a code excerpt. */
export function yamlErrorParts(error: YAMLError): { line: number; col: number; what: string } {
  const at = error.linePos?.[0];
  // The library's message repeats the position and appends a code excerpt; keep only what went wrong.
  const what = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return { line: at?.line ?? 0, col: at?.col ?? 0, what };
}

export function describeYamlError(source: string, error: YAMLError): string {
  const { line, col, what } = yamlErrorParts(error);
  return `${source}:${line}:${col}: ${what}`;
}
