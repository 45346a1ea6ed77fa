// `weft tap RESOURCE`: live requests as the proxies of a workload's pods see them, through the tap service
// (weft-controller tap): by address with --tap-addr, otherwise through the Kubernetes API server to tap's
// aggregated API (tap.weft.io) with the user's kubeconfig, where tap asks Kubernetes whether that user may tap
// it; with neither given, a running `weft demo`'s (its context file). Runs until interrupted.
import type * as http from 'node:http';
import { Command, Option } from 'commander';
import YAML from 'yaml';
import { ADDRESS_FORM, parseHostPort } from '../../common/address';
import { UsageError } from '../../common/errors';
import { MAX_TAP_MAX_RPS, TapQuery, TapRecord, TapStreamLine } from '../../common/tap-api';
import { parseResource, PEER_KINDS, ResourceError, TAPPABLE_KINDS } from '../../common/tap-resource';
import { openTap, tapAtAddress, TapTarget, TapTargetOf, TapUnreachable } from '../../common/tap-client';
import { tapThroughApiServer } from '../kube-service-proxy';
import { currentContext } from '../views/connect';

const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The query's fields as flags (commander hands --max-rps over as text), and where to send it. */
interface TapOptions extends Omit<TapQuery, 'resource' | 'namespace' | 'maxRps'> {
  namespace: string;
  maxRps?: string;
  output: OutputFormat;
  tapAddr?: string;
  kubeconfig?: string;
}

export function registerTap(program: Command): void {
  program
    .command('tap')
    .description('stream the requests the proxies of a resource see, live (until interrupted)')
    .argument('<resource>', `what to tap: <type>/<name>, type one of ${TAPPABLE_KINDS.join(', ')} (deploy, po, ns, sts, ds, rs, cj)`)
    .option('-n, --namespace <namespace>', 'namespace of the resource', 'default')
    .option('--to <resource>', `only requests to this resource (type one of ${PEER_KINDS.join(', ')})`)
    .option('--to-namespace <namespace>', "namespace of --to (default: the resource's)")
    .option('--from <resource>', 'only requests from this resource')
    .option('--from-namespace <namespace>', "namespace of --from (default: the resource's)")
    .option('--authority <authority>', 'only requests for this authority (Host / :authority)')
    .option('--method <method>', 'only requests with this method')
    .option('--path <prefix>', 'only requests whose path starts with this')
    .option('--max-rps <n>', `events per second from each proxy at most (1 to ${MAX_TAP_MAX_RPS}; default 100)`)
    .addOption(new Option('-o, --output <format>', 'output format: a table row, a JSON object or a YAML document per request').choices(OUTPUT_FORMATS).default('table'))
    .option('--tap-addr <host:port>', `reach the tap service at this address (local mode) instead of through the Kubernetes API (default: a running weft demo's)`)
    .option('--kubeconfig <file>', 'kubeconfig for the Kubernetes API route (default: $KUBECONFIG or ~/.kube/config)')
    .action(async (resource: string, opts: TapOptions) => {
      const query = tapQuery(resource, opts);
      // No address and no kubeconfig given: a running `weft demo`'s tap service, if there is one.
      const tapAddr = opts.tapAddr ?? (opts.kubeconfig ? undefined : (await currentContext())?.tapAddr);
      const targetOf = tapAddr ? byAddress(tapAddr) : tapThroughApiServer(opts.kubeconfig);
      await streamTap(await targetOf(query), query, printer(opts.output));
    });
}

function tapQuery(resource: string, opts: TapOptions): TapQuery {
  const check = (text: string | undefined, flag: string, kinds = TAPPABLE_KINDS) => {
    if (text === undefined) return;
    try {
      parseResource(text, kinds);
    } catch (err) {
      if (err instanceof ResourceError) throw new UsageError(`${flag}: ${err.message}`);
      throw err;
    }
  };
  check(resource, 'resource');
  check(opts.to, '--to', PEER_KINDS);
  check(opts.from, '--from');
  if (opts.to && opts.from) throw new UsageError('give --to or --from, not both: --to shows the resource\'s outbound requests, --from its inbound ones');
  let maxRps: number | undefined;
  if (opts.maxRps !== undefined) {
    maxRps = Number(opts.maxRps);
    if (!/^\d+$/.test(opts.maxRps) || maxRps < 1 || maxRps > MAX_TAP_MAX_RPS) throw new UsageError(`--max-rps ${JSON.stringify(opts.maxRps)} is not valid: a whole number from 1 to ${MAX_TAP_MAX_RPS}`);
  }
  return {
    resource,
    namespace: opts.namespace,
    to: opts.to,
    toNamespace: opts.toNamespace,
    from: opts.from,
    fromNamespace: opts.fromNamespace,
    authority: opts.authority,
    method: opts.method,
    path: opts.path,
    maxRps,
  };
}

function byAddress(text: string): TapTargetOf {
  const addr = parseHostPort(text);
  if (!addr) throw new UsageError(`--tap-addr ${JSON.stringify(text)} is not valid: expected ${ADDRESS_FORM}`);
  return tapAtAddress(addr);
}

interface Printer {
  /** The stream is open: a table prints its header. */
  open(): void;
  print(record: TapRecord): void;
}

/** Opens the tap and hands each event to `printer` until the stream ends (or the user interrupts). */
async function streamTap(target: TapTarget, query: TapQuery, printer: Printer): Promise<void> {
  const where = target.url.origin + target.url.pathname;
  const tap = openTap(target, query);
  let interrupted!: () => void;
  const stopped = new Promise<void>((resolve) => (interrupted = resolve));
  const stop = () => {
    tap.cancel();
    interrupted();
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const res = await Promise.race([tap.response.catch((err: Error) => {
    throw err instanceof TapUnreachable ? new Error(`${err.message}; is weft-controller tap running there?`) : err;
  }), stopped]);
  if (!res) return;
  printer.open();
  await Promise.race([stopped, readLines(res, where, (line) => handleLine(JSON.parse(line) as TapStreamLine, printer), tap.cancel)]);
}

/** Calls `each` with every non-empty line of the stream; a line it throws on ends the tap with an error. */
function readLines(res: http.IncomingMessage, where: string, each: (line: string) => void, cancel: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = '';
    res.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (!line.trim()) continue;
        try {
          each(line);
        } catch (err) {
          cancel();
          return reject(new Error(`the tap service at ${where} sent a line that is not a tap event (${(err as Error).message}): ${line.slice(0, 200)}`));
        }
      }
    });
    res.once('end', () => resolve());
    res.once('error', (err) => reject(new Error(`the tap stream from ${where} broke: ${err.message}`)));
  });
}

function handleLine(line: TapStreamLine, printer: Printer): void {
  if ('event' in line) printer.print(line.event);
  else process.stderr.write(`weft: tap: pod ${line.error.namespace}/${line.error.pod}: ${line.error.message}\n`);
}

const COLUMNS: [string, number, (r: TapRecord) => string][] = [
  ['TIME', 24, (r) => new Date(r.timeMs).toISOString()],
  ['POD', 16, (r) => r.pod],
  ['DIRECTION', 9, (r) => r.direction],
  ['METHOD', 7, (r) => r.method],
  ['AUTHORITY', 36, (r) => r.authority],
  ['PATH', 24, (r) => r.path],
  ['STATUS', 6, (r) => String(r.status)],
  ['GRPC', 4, (r) => (r.grpcStatus === undefined ? '-' : String(r.grpcStatus))],
  ['LATENCY', 8, (r) => `${r.latencyMs.toFixed(1)}ms`],
  ['BYTES', 8, (r) => String(r.responseBytes)],
  ['TLS', 3, (r) => (r.tls ? 'yes' : 'no')],
  ['PEER', 0, (r) => (r.direction === 'inbound' ? r.clientId || r.clientAddr : r.serverId || r.targetAddr) || '-'],
  ['ERROR', 0, (r) => r.proxyError || '-'],
];

function printer(format: OutputFormat): Printer {
  const write = (text: string) => void process.stdout.write(text);
  if (format === 'json') return { open: () => {}, print: (r) => write(`${JSON.stringify(r)}\n`) };
  if (format === 'yaml') return { open: () => {}, print: (r) => write(`---\n${YAML.stringify(r)}`) };
  const row = (cells: string[]) => `${cells.map((cell, i) => (COLUMNS[i][1] ? cell.padEnd(COLUMNS[i][1]) : cell)).join(' ').trimEnd()}\n`;
  return { open: () => write(row(COLUMNS.map(([name]) => name))), print: (r) => write(row(COLUMNS.map(([, , cell]) => cell(r)))) };
}
