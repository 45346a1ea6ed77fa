// `weft dashboard [--port 50750]`: serves the web dashboard on this machine over the mesh's metrics, found as
// every view finds them (cli/views/connect.ts: --prometheus-url, --proxy-admin, --kubeconfig, or the running
// `weft demo`'s). The objectives come from the controller's /metrics when given, else from the same source.
import { Command, Option } from 'commander';
import { ADDRESS_FORM, formatHostPort, parseHostPort } from '../../common/address';
import { tapAtAddress, type TapTargetOf } from '../../common/tap-client';
import { UsageError } from '../../common/errors';
import { createLogger } from '../../common/log';
import { objectivesFromMetrics, objectivesFromSource } from '../../dashboard/objectives';
import { createDashboardServer, DEFAULT_DASHBOARD_PORT, listenDashboard } from '../../dashboard/server';
import { tapThroughApiServer } from '../kube-service-proxy';
import { addSourceOptions, currentContext, metricsSource, SourceOptions } from '../views/connect';

interface DashboardFlags extends SourceOptions {
  port: string;
  address: string;
  controllerMetrics?: string;
  tapAddr?: string;
}

export function registerDashboard(program: Command): void {
  addSourceOptions(
    program
      .command('dashboard')
      .description('serve the web dashboard (dependency graph, golden metrics, SLOs) on this machine')
      .addOption(new Option('--port <port>', 'port to listen on').default(String(DEFAULT_DASHBOARD_PORT)))
      .addOption(new Option('--address <ip>', 'address to listen on').default('127.0.0.1'))
      .addOption(new Option('--controller-metrics <url>', "read the SLO objectives from the controller's admin /metrics (default: from the metrics source)"))
      .addOption(new Option('--tap-addr <host:port>', "the tap service (weft-controller tap) the live tap view reads (default: through --kubeconfig's API server, else a running weft demo's)")),
  ).action(async (opts: DashboardFlags) => {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${JSON.stringify(opts.port)} is not a port number`);
    const context = await currentContext();
    const source = await metricsSource(opts, context?.namespace ?? 'default', context);
    const server = createDashboardServer({
      source,
      objectives: opts.controllerMetrics ? objectivesFromMetrics(httpUrl(opts.controllerMetrics)) : objectivesFromSource(source),
      log: createLogger('weft-dashboard', 'warn', 'plain'),
      tap: tapOf(opts, context?.tapAddr),
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

/** As `weft tap`: --tap-addr by address, else --kubeconfig's aggregated tap API, else the demo's address. */
function tapOf(opts: DashboardFlags, demoTapAddr: string | undefined): TapTargetOf | undefined {
  if (opts.tapAddr === undefined && opts.kubeconfig) return tapThroughApiServer(opts.kubeconfig);
  const text = opts.tapAddr ?? demoTapAddr;
  if (text === undefined) return undefined;
  const addr = parseHostPort(text);
  if (!addr) throw new UsageError(`--tap-addr ${JSON.stringify(text)} is not valid: expected ${ADDRESS_FORM}`);
  return tapAtAddress(addr);
}

function httpUrl(text: string): string {
  if (URL.canParse(text) && ['http:', 'https:'].includes(new URL(text).protocol)) return text;
  throw new UsageError(`--controller-metrics ${JSON.stringify(text)} is not an http(s) URL, e.g. http://127.0.0.1:9990/metrics`);
}
