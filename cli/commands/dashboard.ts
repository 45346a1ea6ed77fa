// `weft dashboard [--port 50750]`: serves the web dashboard on this machine over the mesh's metrics: a
// Prometheus given by address, else the running `weft demo`'s (its Prometheus, or its series of the proxies'
// own /metrics). The objectives come from the controller's /metrics when given, else from the same source.
import { Command, Option } from 'commander';
import { formatHostPort } from '../../common/address';
import { UsageError } from '../../common/errors';
import { createLogger } from '../../common/log';
import { contextFile, readContext } from '../../common/views/context';
import { directTarget } from '../../common/views/http-target';
import { LocalSource } from '../../common/views/local';
import { PrometheusSource } from '../../common/views/prometheus';
import { RemoteSnapshots } from '../../common/views/snapshot-server';
import type { MetricsSource } from '../../common/views/source';
import { objectivesFromMetrics, objectivesFromSource } from '../../dashboard/objectives';
import { createDashboardServer, DEFAULT_DASHBOARD_PORT, listenDashboard } from '../../dashboard/server';

interface DashboardFlags {
  port: string;
  address: string;
  prometheusUrl?: string;
  controllerMetrics?: string;
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('serve the web dashboard (dependency graph, golden metrics, SLOs) on this machine')
    .addOption(new Option('--port <port>', 'port to listen on').default(String(DEFAULT_DASHBOARD_PORT)))
    .addOption(new Option('--address <ip>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--prometheus-url <url>', "read metrics from this Prometheus (default: the running weft demo's)"))
    .addOption(new Option('--controller-metrics <url>', "read the SLO objectives from the controller's admin /metrics (default: from the metrics source)"))
    .action(async (opts: DashboardFlags) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${JSON.stringify(opts.port)} is not a port number`);
      const source = await metricsSourceOf(opts);
      const server = createDashboardServer({
        source,
        objectives: opts.controllerMetrics ? objectivesFromMetrics(httpUrl(opts.controllerMetrics, '--controller-metrics')) : objectivesFromSource(source),
        log: createLogger('weft-dashboard', 'warn', 'plain'),
      });
      const bound = await listenDashboard(server, { host: opts.address, port });
      process.stdout.write(`weft dashboard: http://${formatHostPort(bound)}/ (metrics from ${source.description}; Ctrl-C stops it)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          server.closeAllConnections();
          server.close(() => resolve());
        };
        process.once('SIGINT', stop).once('SIGTERM', stop);
      });
    });
}

async function metricsSourceOf(opts: DashboardFlags): Promise<MetricsSource> {
  if (opts.prometheusUrl) return new PrometheusSource(directTarget(httpUrl(opts.prometheusUrl, '--prometheus-url'), 'Prometheus'));
  const context = await readContext(contextFile());
  if (context?.prometheusUrl) return new PrometheusSource(directTarget(context.prometheusUrl, "weft demo's Prometheus"));
  if (context?.snapshotsUrl) {
    return new LocalSource(new RemoteSnapshots(directTarget(context.snapshotsUrl, 'weft demo'), `weft demo's series of its proxies' own /metrics (${context.snapshotsUrl})`));
  }
  throw new UsageError('no metrics to read: start `weft demo` (it serves its own dashboard too), or pass --prometheus-url URL');
}

function httpUrl(text: string, flag: string): string {
  if (URL.canParse(text) && ['http:', 'https:'].includes(new URL(text).protocol)) return text;
  throw new UsageError(`${flag} ${JSON.stringify(text)} is not an http(s) URL, e.g. http://127.0.0.1:9090`);
}
