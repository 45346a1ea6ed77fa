// `weft stat deploy|pod|svc|ns [NAME] [--from|--to TYPE/NAME]`: golden metrics per resource (CONTRACT.md "Tap,
// CLI views…"), optionally only the traffic from or to one resource, as Linkerd's viz.
import { Command } from 'commander';
import { parseResource } from '../../common/views/resources';
import { StatRow, stats } from '../../common/views/stats';
import { checkFilter } from '../../common/views/traffic-filter';
import { render } from '../output';
import { currentContext, metricsSource } from '../views/connect';
import { count, ms, percent, rps } from '../views/format';
import { ViewOptions, addViewOptions, namespaceOf } from '../views/options';
import { rangeFields, timeRange } from '../views/range';
import { TrafficOptions, addTrafficOptions, trafficFilter } from '../views/traffic-options';

const COLUMNS = ['NAME', 'MESHED', 'SUCCESS', 'RPS', 'LATENCY_P50', 'LATENCY_P95', 'LATENCY_P99', 'TCP_CONN'];

export function registerStat(program: Command): void {
  addTrafficOptions(
    addViewOptions(
      program
        .command('stat')
        .description('success rate, requests per second, latency and TCP connections of deployments, pods, services or namespaces')
        .argument('<type>', 'deploy, pod, svc or ns (or TYPE/NAME)')
        .argument('[name]', 'only this one'),
    ),
  ).action(async (typeText: string, nameText: string | undefined, opts: ViewOptions & TrafficOptions) => {
    const { type, name } = parseResource(typeText, nameText);
    const range = timeRange(opts);
    const context = await currentContext();
    const namespace = namespaceOf(opts, context);
    const filter = trafficFilter(opts, namespace);
    if (filter) checkFilter(type, filter);
    const source = await metricsSource(opts, namespace ?? 'default', context);
    const rows = await stats(source, { type, name, namespace: type === 'ns' ? undefined : namespace, range, filter });
    const withNamespace = namespace === undefined && type !== 'ns';
    const header = withNamespace ? ['NAMESPACE', ...COLUMNS] : COLUMNS;
    const table = () => rows.map((r) => [...(withNamespace ? [r.namespace] : []), ...cells(r)]);
    const filterField = filter ? { [filter.direction]: `${filter.type}/${filter.name}`, [`${filter.direction}Namespace`]: filter.namespace } : {};
    process.stdout.write(render({ source: source.description, ...rangeFields(range), ...filterField, rows }, opts.output, header, table));
    if (opts.output === 'table') process.stderr.write(`source: ${source.description}\n`);
  });
}

function cells(r: StatRow): string[] {
  const meshed = r.meshed ? `${r.meshed.ready}/${r.meshed.total}` : '';
  return [r.name, meshed, percent(r.successRate), rps(r.rps), ms(r.latencyMs.p50), ms(r.latencyMs.p95), ms(r.latencyMs.p99), count(r.tcpConnections)];
}
