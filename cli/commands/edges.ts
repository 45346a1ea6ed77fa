// `weft edges deploy|pod [NAME]`: who called whom within the range, and with which identities.
import { Command } from 'commander';
import { edges } from '../../common/views/edges';
import { parseResource } from '../../common/views/resources';
import { render } from '../output';
import { currentContext, metricsSource } from '../views/connect';
import { ViewOptions, addViewOptions, namespaceOf } from '../views/options';
import { rangeFields, timeRange } from '../views/range';

export function registerEdges(program: Command): void {
  addViewOptions(
    program
      .command('edges')
      .description('the connections between deployments or pods, with the identities on both sides')
      .argument('<type>', 'deploy or pod (or TYPE/NAME)')
      .argument('[name]', 'only edges to or from this one'),
  ).action(async (typeText: string, nameText: string | undefined, opts: ViewOptions) => {
    const { type, name } = parseResource(typeText, nameText, ['deploy', 'pod']);
    const range = timeRange(opts);
    const context = await currentContext();
    const namespace = namespaceOf(opts, context);
    const source = await metricsSource(opts, namespace ?? 'default', context);
    const found = await edges(source, { type, name, namespace, range });
    const header = ['SRC', 'DST', 'SRC_NS', 'DST_NS', 'CLIENT_ID', 'SERVER_ID', 'MSG'];
    const table = () => found.map((e) => [e.src, e.dst, e.srcNamespace, e.dstNamespace, e.clientId, e.serverId, e.msg]);
    process.stdout.write(render({ source: source.description, ...rangeFields(range), edges: found }, opts.output, header, table));
    if (opts.output === 'table') process.stderr.write(`source: ${source.description}\n`);
  });
}
