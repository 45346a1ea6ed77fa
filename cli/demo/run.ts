// `weft demo`: start the topology, wait until every proxy is ready, start the load, report, and stop
// everything on Ctrl-C, SIGTERM, at the end of --duration, or as soon as any process dies on its own.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatHostPort } from '../../common/address';
import { DemoDashboard, startDemoDashboard } from './dashboard';
import { StatusLine, Pids, welcome } from './output';
import { DemoPki, createDemoPki } from './pki';
import { SparePorts } from './ports';
import { Supervisor } from './supervisor';
import {
  ControllerAddrs,
  DEMO_HOST,
  DEMO_NAMESPACE,
  DESTINATION_ACCOUNT,
  TAP_ACCOUNT,
  START_ORDER,
  Topology,
  WorkloadName,
  appSpec,
  consecutivePorts,
  controllerSpec,
  endpointsFileText,
  planController,
  planTopology,
  proxyName,
  proxySpec,
} from './topology';
import { DemoViews, startViews } from './views';
import { acceptsConnections, answersOk, sleep, waitFor } from './wait';

const READY_TIMEOUT_MS = 30_000;
const STATUS_INTERVAL_MS = 5000;
const STOP_GRACE_MS = 5000;

export interface DemoOptions {
  rps: number;
  durationMs?: number;
  basePort?: number;
  /** False: no Prometheus, even when installed (views read the proxies' /metrics through the demo). */
  prometheus?: boolean;
  out: NodeJS.WritableStream;
}

/** Why the demo stops. A failure (a process died) makes runDemo throw after the cleanup. */
class Stop {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  failure?: string;

  request(): void {
    this.controller.abort();
  }

  fail(reason: string): void {
    this.failure ??= reason;
    this.controller.abort();
  }
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const spare = new SparePorts();
  const ports = options.basePort === undefined ? spare.next : consecutivePorts(options.basePort);
  // The controller's ports first: with --base-port they are the first ones, whatever the topology holds.
  const controller = await planController(ports);
  const topology = await planTopology(ports);
  const viewsAddr = { host: DEMO_HOST, port: await ports() };
  const dashboardAddr = { host: DEMO_HOST, port: await ports() };
  await spare.release();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'weft-demo-'));
  const endpointsFile = path.join(dir, 'endpoints.yaml');

  const stop = new Stop();
  const supervisor = new Supervisor((name, pid, how) => stop.fail(`${name} (pid ${pid}) ${how}; its output above says why`));
  const onSignal = () => stop.request();
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  let deadline: NodeJS.Timeout | undefined;
  let views: DemoViews | undefined;
  let dashboard: DemoDashboard | undefined;
  try {
    options.out.write(`weft demo: starting ${START_ORDER.join(', ')}, each with its own weft-proxy, on 127.0.0.1 …\n`);
    await fs.writeFile(endpointsFile, endpointsFileText(topology));
    const pki = await createDemoPki(path.join(dir, 'pki'));
    // The controller first: the proxies get their certificates and each other's addresses from it, over TLS.
    const tokens = {
      destination: await pki.writeToken(DESTINATION_ACCOUNT.serviceAccount, DESTINATION_ACCOUNT.namespace),
      tap: await pki.writeToken(TAP_ACCOUNT.serviceAccount, TAP_ACCOUNT.namespace),
    };
    supervisor.start(controllerSpec(controller, endpointsFile, pki, tokens));
    const controllerReady = `http://${formatHostPort(controller.admin)}/ready`;
    await waitFor(`the controller (${controllerReady})`, () => answersOk(controllerReady), READY_TIMEOUT_MS, stop.signal);
    const pids = await startWorkloads(topology, controller, pki, supervisor, options.rps, stop.signal);
    views = await startViews({ addr: viewsAddr, prometheus: options.prometheus !== false }, topology, controller, pki, dir, supervisor, stop.signal);
    dashboard = await startDemoDashboard(views.source, controller, dashboardAddr);
    // One write: whoever reads the table also finds where the metrics and the dashboard are.
    options.out.write(
      `${welcome(topology, pids, { endpointsFile, pki }, options.durationMs)}${views.summary}\n\n` +
        `Dashboard: ${dashboard.url}\nController metrics (with the SLO gauges): http://${formatHostPort(controller.admin)}/metrics\n\n`,
    );
    // --duration counts from here: that long of traffic, however long start-up took.
    if (options.durationMs !== undefined) deadline = setTimeout(onSignal, options.durationMs);
    const status = new StatusLine(topology, Date.now());
    while (!stop.signal.aborted) {
      await sleep(STATUS_INTERVAL_MS, stop.signal);
      if (!stop.failure) options.out.write(`${await status.next()}\n`);
    }
  } catch (err) {
    // Start-up was cut short by a stop request or a dead process: the stop itself is what to report.
    if (!stop.signal.aborted) throw err;
  } finally {
    stop.request(); // ends any start-up wait still polling
    clearTimeout(deadline);
    options.out.write('weft demo: stopping …\n');
    await dashboard?.close();
    await views?.stop();
    await supervisor.stop(STOP_GRACE_MS, ['prometheus']);
    // Callers before callees, so nothing reports errors about a peer that is merely shutting down.
    for (const name of [...START_ORDER].reverse()) await supervisor.stop(STOP_GRACE_MS, [name, proxyName(name)]);
    await supervisor.stop(STOP_GRACE_MS, ['controller']);
    await fs.rm(dir, { recursive: true, force: true });
    // Only now: a second Ctrl-C while stopping must not kill the demo and leave its children behind.
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  if (stop.failure) throw new Error(stop.failure);
  options.out.write('weft demo: stopped.\n');
}

/**
 * Every proxy first, then the apps in dependency order; the load generator once everything else is ready.
 * A proxy is ready only once it holds its certificate, and every request starts at the load generator (or a
 * user's curl, once the table is printed): so the demo's traffic is mTLS from the first request.
 */
async function startWorkloads(
  topology: Topology,
  controller: ControllerAddrs,
  pki: DemoPki,
  supervisor: Supervisor,
  rps: number,
  signal: AbortSignal,
): Promise<Record<WorkloadName, Pids>> {
  const pids = {} as Record<WorkloadName, Pids>;
  const ready: Promise<void>[] = [];
  for (const name of START_ORDER) {
    const w = topology[name];
    const tokenFile = await pki.writeToken(name, DEMO_NAMESPACE);
    pids[name] = { proxy: supervisor.start(proxySpec(w, controller, pki, tokenFile)) };
    const readyUrl = `http://${formatHostPort(w.proxy.admin)}/ready`;
    ready.push(waitFor(`${name}'s proxy (${readyUrl})`, () => answersOk(readyUrl), READY_TIMEOUT_MS, signal));
    if (!w.app) continue;
    const app = w.app;
    pids[name].app = supervisor.start(appSpec(w, topology, rps));
    ready.push(waitFor(`${name} (${formatHostPort(app)})`, () => acceptsConnections(app), READY_TIMEOUT_MS, signal));
  }
  await Promise.all(ready);
  pids.load.app = supervisor.start(appSpec(topology.load, topology, rps));
  return pids;
}
