// What the demo tells its user: which processes run where, where its endpoints and certificates come from,
// what to try, and every few seconds how the traffic is doing according to the proxies' own metrics.
import * as path from 'node:path';
import { formatHostPort } from '../../common/address';
import { ISSUER_FILES } from '../../common/contract';
import { formatDuration } from '../../common/duration';
import { fetchMetrics } from '../../common/views/exposition';
import { InboundTotals, inboundTotals } from './metrics';
import type { DemoPki } from './pki';
import { START_ORDER, Topology, WorkloadName } from './topology';

const METRICS_TIMEOUT_MS = 1000;

export interface Pids {
  app?: number;
  proxy?: number;
}

export function metricsUrl(topology: Topology, name: WorkloadName): string {
  return `http://${formatHostPort(topology[name].proxy.admin)}/metrics`;
}

/** What the controller reads: the endpoints it serves, and the PKI its identity service signs with. */
export interface DemoFiles {
  endpointsFile: string;
  pki: DemoPki;
}

export function welcome(topology: Topology, pids: Record<WorkloadName, Pids>, files: DemoFiles, durationMs?: number): string {
  const web = `http://${topology.web.authority}`;
  const proxyFlag = `-x http://${formatHostPort(topology.load.proxy.outbound)}`;
  const rows = START_ORDER.map((name) => [
    name,
    String(pids[name].app ?? '-'),
    String(pids[name].proxy ?? '-'),
    topology[name].app ? formatHostPort(topology[name].app!) : '(client only)',
    metricsUrl(topology, name),
  ]);
  return [
    'weft demo is running: every workload talks to the others only through its own weft-proxy.',
    '',
    table([['workload', 'app pid', 'proxy pid', 'app listens on', 'proxy metrics'], ...rows]),
    '',
    'web -> books is gRPC, books -> stock is opaque TCP (via CONNECT), load -> web is HTTP/1.1; every hop',
    'between proxies is mTLS. The proxies get their endpoints and their certificates from the controller:',
    `  endpoints (re-read on change)  ${files.endpointsFile}`,
    `  trust anchor                   ${files.pki.trustAnchorsFile}`,
    '',
    'Look at the certificates:',
    `  weft certs inspect ${files.pki.trustAnchorsFile}`,
    `  weft certs inspect ${path.join(files.pki.issuerDir, ISSUER_FILES.cert)}`,
    '',
    'Try (through the load generator\'s proxy, as an HTTP proxy):',
    `  curl ${proxyFlag} ${web}/`,
    `  curl ${proxyFlag} ${web}/books/99      # the book whose stock always fails`,
    '',
    durationMs === undefined ? 'Press Ctrl-C to stop.' : `Stops by itself after ${formatDuration(durationMs)}, or press Ctrl-C.`,
    '',
  ].join('\n');
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  return rows.map((row) => '  ' + row.map((cell, col) => cell.padEnd(widths[col])).join('  ').trimEnd()).join('\n');
}

/** One line per call: requests, rate since the previous line and success rate for each server workload. */
export class StatusLine {
  private previous = new Map<WorkloadName, { at: number; requests: number }>();

  constructor(
    private readonly topology: Topology,
    private readonly startedAt: number,
  ) {}

  async next(): Promise<string> {
    const now = Date.now();
    const parts = await Promise.all(
      (['web', 'books', 'stock'] as const).map(async (name) => {
        try {
          const totals = inboundTotals(await fetchMetrics(metricsUrl(this.topology, name), METRICS_TIMEOUT_MS));
          return `${name} ${this.describe(name, totals, now)}`;
        } catch (err) {
          return `${name} metrics unavailable (${(err as Error).message})`;
        }
      }),
    );
    return `[${String(Math.round((now - this.startedAt) / 1000)).padStart(3)}s] ${parts.join(' | ')}`;
  }

  private describe(name: WorkloadName, totals: InboundTotals, now: number): string {
    if (this.topology[name].opaque) return `${totals.tcpConnections} connections`;
    const before = this.previous.get(name);
    this.previous.set(name, { at: now, requests: totals.requests });
    const rps = before && now > before.at ? ((totals.requests - before.requests) * 1000) / (now - before.at) : undefined;
    const success = totals.responses > 0 ? `${((100 * totals.successes) / totals.responses).toFixed(1)}% success` : 'no responses yet';
    return `${totals.requests} requests${rps === undefined ? '' : ` (${rps.toFixed(1)} rps)`}, ${success}`;
  }
}
