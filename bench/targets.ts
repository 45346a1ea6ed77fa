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

function atMost(target: string, value: number | undefined, limit: number, unit: string, note?: string): TargetResult {
  return { target, value, unit, met: value === undefined ? undefined : value <= limit, note };
}

function atLeast(target: string, value: number | undefined, limit: number, unit: string, note?: string): TargetResult {
  return { target, value, unit, met: value === undefined ? undefined : value >= limit, note };
}

function perCpuNote(get: Lookup, tableId: string, path: PathName, peer: PathName): string | undefined {
  const r = ratio(get(tableId, path, 'requestsPerCpuS'), get(tableId, peer, 'requestsPerCpuS'));
  return r === undefined ? undefined : `per CPU-second of the proxy (direct: of the backend): ${r.toFixed(2)}×`;
}

const MESHED: PathName = 'weft 2 hops mTLS';
const HAPROXY_PAIR: PathName = 'haproxy 2 hops';

function max(...values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

/** Issue 11: the meshed path (two weft hops with mTLS) against two HAProxy hops with h2 between them. */
function meshedPathTargets(get: Lookup): TargetResult[] {
  const againstPair = (tableId: string, key: string) => ratio(get(tableId, MESHED, key), get(tableId, HAPROXY_PAIR, key));
  const failedAt4k = get('memory', MESHED, 'loadedFailed');
  return [
    atMost('two hops mTLS, HTTP/1.1 at 1k req/s: p99 ≤ 2× the HAProxy pair', againstPair('http1-latency', 'p99Ms'), 2, '×'),
    atMost('two hops mTLS, HTTP/1.1 at 1k req/s: added p50 ≤ 0.5 ms', get('http1-latency', MESHED, 'addedP50Ms'), 0.5, 'ms'),
    atLeast('two hops mTLS, HTTP/1.1 at saturation ≥ 0.4× the HAProxy pair', againstPair('http1-saturation', 'requestsPerSecond'), 0.4, '×', perCpuNote(get, 'http1-saturation', MESHED, HAPROXY_PAIR)),
    atLeast('two hops mTLS, gRPC unary at saturation ≥ 0.4× the HAProxy pair', againstPair('grpc-saturation', 'requestsPerSecond'), 0.4, '×', perCpuNote(get, 'grpc-saturation', MESHED, HAPROXY_PAIR)),
    {
      ...atMost('two hops mTLS, 4k req/s offered: all answered, p99 ≤ 3× the HAProxy pair', againstPair('memory', 'loadedP99Ms'), 3, '×'),
      ...(failedAt4k !== undefined && failedAt4k > 0 ? { met: false, note: `${failedAt4k} requests failed or went unanswered` } : {}),
    },
    atMost(
      'mTLS adds ≤ 2 ms p99 over plaintext two hops at 1k req/s',
      diff(get('http1-latency', MESHED, 'p99Ms'), get('http1-latency', 'weft 2 hops', 'p99Ms')),
      2,
      'ms',
    ),
  ];
}

function diff(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

export function evaluateTargets(tables: Table[]): TargetResult[] {
  const get = lookupIn(tables);
  const rps = (path: PathName) => get('http1-saturation', path, 'requestsPerSecond');
  return [
    atMost('one hop, HTTP/1.1 at 1k req/s: added p99 ≤ 0.75 ms', get('http1-latency', 'weft 1 hop', 'addedP99Ms'), 0.75, 'ms'),
    atLeast('one hop, HTTP/1.1 throughput ≥ 0.5× Node hello world on one core', ratio(rps('weft 1 hop'), rps('direct')), 0.5, '×', perCpuNote(get, 'http1-saturation', 'weft 1 hop', 'direct')),
    atLeast('one hop, HTTP/1.1 throughput ≥ 0.5× one HAProxy hop', ratio(rps('weft 1 hop'), rps('haproxy')), 0.5, '×', perCpuNote(get, 'http1-saturation', 'weft 1 hop', 'haproxy')),
    atLeast(
      'one hop, opaque TCP throughput ≥ 0.6× HAProxy',
      ratio(get('tcp-throughput', 'weft 1 hop', 'roundTripsPerSecond'), get('tcp-throughput', 'haproxy', 'roundTripsPerSecond')),
      0.6,
      '×',
    ),
    ...meshedPathTargets(get),
    atMost('idle RSS ≤ 55 MB, each proxy', max(get('memory', 'weft 1 hop', 'idleRssMaxMB'), get('memory', MESHED, 'idleRssMaxMB')), 55, 'MB'),
    atMost('RSS at 4k req/s through two hops ≤ 128 MB, each proxy', get('memory', MESHED, 'loadedRssMaxMB'), 128, 'MB'),
  ];
}
