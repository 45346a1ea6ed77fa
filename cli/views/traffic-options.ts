// `weft stat`'s Linkerd viz traffic filters: `--from TYPE/NAME` (what it calls) or `--to TYPE/NAME` (who calls
// it), each in `--from-namespace` / `--to-namespace` (default: the rows' namespace).
import { Command, Option } from 'commander';
import { UsageError } from '../../common/errors';
import { parseResource } from '../../common/views/resources';
import type { TrafficFilter } from '../../common/views/traffic-filter';

export interface TrafficOptions {
  from?: string;
  to?: string;
  fromNamespace?: string;
  toNamespace?: string;
}

export function addTrafficOptions(command: Command): Command {
  return command
    .addOption(new Option('--from <resource>', 'only traffic sent by this resource, TYPE/NAME (e.g. deploy/web): rows are what it calls'))
    .addOption(new Option('--to <resource>', 'only traffic sent to this resource, TYPE/NAME (e.g. deploy/books): rows are its callers'))
    .addOption(new Option('--from-namespace <ns>', "namespace of --from's resource (default: the rows')"))
    .addOption(new Option('--to-namespace <ns>', "namespace of --to's resource (default: the rows')"));
}

/** The filter the options ask for, or undefined; `namespace` is the rows' (undefined: every namespace). */
export function trafficFilter(opts: TrafficOptions, namespace: string | undefined): TrafficFilter | undefined {
  if (opts.from !== undefined && opts.to !== undefined) throw new UsageError('give either --from or --to, not both');
  if (opts.fromNamespace !== undefined && opts.from === undefined) throw new UsageError('--from-namespace needs --from TYPE/NAME');
  if (opts.toNamespace !== undefined && opts.to === undefined) throw new UsageError('--to-namespace needs --to TYPE/NAME');
  const direction = opts.from !== undefined ? 'from' : opts.to !== undefined ? 'to' : undefined;
  if (direction === undefined) return undefined;
  const text = (direction === 'from' ? opts.from : opts.to)!;
  const flag = `--${direction}`;
  let parsed: ReturnType<typeof parseResource>;
  try {
    parsed = parseResource(text, undefined);
  } catch (err) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
  if (parsed.name === undefined) throw new UsageError(`${flag} ${JSON.stringify(text)} names no resource: write TYPE/NAME, e.g. ${flag} deploy/web`);
  const ns = (direction === 'from' ? opts.fromNamespace : opts.toNamespace) ?? namespace;
  if (ns === undefined && parsed.type !== 'ns') throw new UsageError(`with -A, give ${flag}-namespace for ${flag} ${text}`);
  return { direction, type: parsed.type, name: parsed.name, namespace: ns ?? '' };
}
