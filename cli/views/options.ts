// The options every metrics view takes: namespace, time range, output format and where the metrics are.
import { Command, Option } from 'commander';
import type { ViewsContext } from '../../common/views/context';
import { OutputFormat, outputOption } from '../output';
import { addSourceOptions, SourceOptions } from './connect';
import { DEFAULT_WINDOW, RangeOptions, TIME_FORM } from './range';

export interface ViewOptions extends SourceOptions, RangeOptions {
  namespace?: string;
  allNamespaces?: boolean;
  output: OutputFormat;
}

export function addViewOptions(command: Command): Command {
  command
    .addOption(new Option('-n, --namespace <ns>', "namespace of the resources (default: weft demo's, else default)"))
    .addOption(new Option('-A, --all-namespaces', 'every namespace'))
    .addOption(new Option('-t, --time-window <duration>', `the window ending now (or at --until), default ${DEFAULT_WINDOW}`))
    .addOption(new Option('--since <time>', `start of the range: ${TIME_FORM}`))
    .addOption(new Option('--until <time>', 'end of the range (default now)'))
    .addOption(outputOption());
  return addSourceOptions(command);
}

/** Undefined: every namespace. */
export function namespaceOf(opts: ViewOptions, context: ViewsContext | undefined): string | undefined {
  if (opts.allNamespaces) return undefined;
  return opts.namespace ?? context?.namespace ?? 'default';
}
