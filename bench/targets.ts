// The performance targets weft is held to, checked against one run's tables. Throughput targets compare
// paths measured the same way in the same run; the per-CPU-second ratio is shown beside them because the
// backend shares the server core with the proxy (see the pinning note in the report).
import type { PathName } from './paths';
import type { Table } from './scenarios/types';

export interface TargetResult {
  target: string;
  /** Undefined when a path it needs could not be measured. */
  value?: number;
  unit: string;
  met?: boolean;
  note?: string;
}

type Lookup = (tableId: string, path: PathName, key: string) => number | undefined;

function lookupIn(tables: Table[]): Lookup {
  return (tableId, path, key) => tables.find((t) => t.id === tableId)?.rows.find((r) => r.path === path)?.values[key];
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

function atMost(target: string, value: number | undefined, limit: number, unit: string): TargetResult {
  return { target, value, unit, met: value === undefined ? undefined : value <= limit };
}

function atLeast(target: string, value: number | undefined, limit: number, unit: string, note?: string): TargetResult {
  return { target, value, unit, met: value === undefined ? undefined : value >= limit, note };
}

function perCpuNote(get: Lookup, tableId: string, peer: PathName): string | undefined {
  const r = ratio(get(tableId, 'weft 1 hop', 'requestsPerCpuS'), get(tableId, peer, 'requestsPerCpuS'));
  return r === undefined ? undefined : `per CPU-second of the proxy (direct: of the backend): ${r.toFixed(2)}×`;
}

export function evaluateTargets(tables: Table[]): TargetResult[] {
  const get = lookupIn(tables);
  const rps = (path: PathName) => get('http1-saturation', path, 'requestsPerSecond');
  return [
    atMost('added p99 at 1k req/s, HTTP/1.1, one hop ≤ 0.75 ms', get('http1-latency', 'weft 1 hop', 'addedP99Ms'), 0.75, 'ms'),
    atLeast('HTTP/1.1 throughput ≥ 0.5× Node hello world on one core', ratio(rps('weft 1 hop'), rps('direct')), 0.5, '×', perCpuNote(get, 'http1-saturation', 'direct')),
    atLeast('HTTP/1.1 throughput ≥ 0.2× HAProxy', ratio(rps('weft 1 hop'), rps('haproxy')), 0.2, '×', perCpuNote(get, 'http1-saturation', 'haproxy')),
    atLeast(
      'opaque TCP throughput ≥ 0.6× HAProxy',
      ratio(get('tcp-throughput', 'weft 1 hop', 'roundTripsPerSecond'), get('tcp-throughput', 'haproxy', 'roundTripsPerSecond')),
      0.6,
      '×',
    ),
    atMost('idle RSS ≤ 50 MB', get('memory', 'weft 1 hop', 'idleRssMB'), 50, 'MB'),
    atMost('RSS at 4k req/s ≤ 128 MB', get('memory', 'weft 1 hop', 'loadedRssMB'), 128, 'MB'),
  ];
}
