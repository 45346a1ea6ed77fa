// `weft demo`: start the topology, wait until every proxy is ready, start the load, report, and stop
// everything on Ctrl-C, SIGTERM, at the end of --duration, or as soon as any process dies on its own.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatHostPort } from '../../common/address';
import { StatusLine, Pids, welcome } from './output';
import { Supervisor } from './supervisor';
import { ControllerAddrs, START_ORDER, Topology, WorkloadName, appSpec, consecutivePorts, controllerSpec, endpointsFileText, freePort, planController, planTopology, proxyName, proxySpec } from './topology';
import { acceptsConnections, answersOk, sleep, waitFor } from './wait';

const READY_TIMEOUT_MS = 30_000;
const STATUS_INTERVAL_MS = 5000;
const STOP_GRACE_MS = 5000;

export interface DemoOptions {
  rps: number;
  durationMs?: number;
  basePort?: number;
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
  const ports = options.basePort === undefined ? freePort : consecutivePorts(options.basePort);
  const topology = await planTopology(ports);
  const controller = await planController(ports);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'weft-demo-'));
  const endpointsFile = path.join(dir, 'endpoints.yaml');
  await fs.writeFile(endpointsFile, endpointsFileText(topology));

  const stop = new Stop();
  const supervisor = new Supervisor((name, pid, how) => stop.fail(`${name} (pid ${pid}) ${how}; its output above says why`));
  const onSignal = () => stop.request();
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  let deadline: NodeJS.Timeout | undefined;
  try {
    options.out.write(`weft demo: starting ${START_ORDER.join(', ')}, each with its own weft-proxy, on 127.0.0.1 …\n`);
    // The controller first: the proxies discover each other through it, from the endpoints file.
    supervisor.start(controllerSpec(controller, endpointsFile));
    const controllerReady = `http://${formatHostPort(controller.admin)}/ready`;
    await waitFor(`the controller (${controllerReady})`, () => answersOk(controllerReady), READY_TIMEOUT_MS, stop.signal);
    const pids = await startWorkloads(topology, controller, supervisor, options.rps, stop.signal);
    options.out.write(welcome(topology, pids, endpointsFile, options.durationMs));
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

/** Every proxy first, then the apps in dependency order; the load generator once everything else is ready. */
async function startWorkloads(
  topology: Topology,
  controller: ControllerAddrs,
  supervisor: Supervisor,
  rps: number,
  signal: AbortSignal,
): Promise<Record<WorkloadName, Pids>> {
  const pids = {} as Record<WorkloadName, Pids>;
  const ready: Promise<void>[] = [];
  for (const name of START_ORDER) {
    const w = topology[name];
    pids[name] = { proxy: supervisor.start(proxySpec(w, controller.destination)) };
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
