// What `weft stat`, `edges`, `top` and the dashboard read while the demo runs: Debian's Prometheus scraping
// every proxy (with `weft install prometheus`'s rules) when it is installed, otherwise the demo's own series of the proxies' /metrics (CONTRACT.md
// "Local mode"), and the context file that tells the CLI where that is (removed when the demo stops).
import { accessSync, constants, promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { HostPort, formatHostPort } from '../../common/address';
import { PROMETHEUS_RULES_FILE, PROXY_TARGET_LABEL as T, controlPlaneIdentityName } from '../../common/contract';
import { ViewsContext, contextFile, removeContext, writeContext } from '../../common/views/context';
import { directTarget } from '../../common/views/http-target';
import { LocalSource } from '../../common/views/local';
import { PrometheusSource } from '../../common/views/prometheus';
import { serveSnapshots } from '../../common/views/snapshot-server';
import { Scraper, ScrapeTarget } from '../../common/views/snapshots';
import type { MetricsSource } from '../../common/views/source';
import { prometheusRules } from '../install/prometheus';
import type { DemoPki } from './pki';
import type { Supervisor } from './supervisor';
import { ControllerAddrs, DEMO_NAMESPACE, START_ORDER, Topology, podOf } from './topology';
import { answersOk, waitFor } from './wait';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
/** Prometheus' scrape interval, and the local scraper's: short, so that `-t 10s` has samples to work with. */
const SCRAPE_INTERVAL_S = 2;
const READY_TIMEOUT_MS = 15_000;

export function prometheusInstalled(): boolean {
  try {
    accessSync(PROMETHEUS_BIN, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The labels of each workload's proxy, as Prometheus' targets and the local scraper both attach them (as `weft install prometheus`'s pod labels). */
export function proxyTargets(topology: Topology): ScrapeTarget[] {
  return START_ORDER.map((name) => ({
    url: `http://${formatHostPort(topology[name].proxy.admin)}/metrics`,
    labels: { [T.namespace]: DEMO_NAMESPACE, [T.deployment]: name, [T.pod]: podOf(name) },
  }));
}

export interface DemoViews {
  /** What the welcome text says about it. */
  summary: string;
  /** The same metrics, for the demo's own dashboard. */
  source: MetricsSource;
  stop(): Promise<void>;
}

export async function startViews(
  { addr, prometheus }: { addr: HostPort; prometheus: boolean },
  topology: Topology,
  controller: ControllerAddrs,
  pki: DemoPki,
  dir: string,
  supervisor: Supervisor,
  signal: AbortSignal,
): Promise<DemoViews> {
  const targets = proxyTargets(topology);
  const base = {
    pid: process.pid,
    namespace: DEMO_NAMESPACE,
    proxies: targets.map((t) => ({ admin: new URL(t.url).host, labels: t.labels })),
    tapAddr: formatHostPort(controller.tap),
    destination: {
      addr: formatHostPort(controller.destination),
      serverName: controlPlaneIdentityName('destination'),
      trustAnchorsFile: pki.trustAnchorsFile,
      contextToken: JSON.stringify({ ns: DEMO_NAMESPACE }),
    },
  };
  const url = `http://${formatHostPort(addr)}`;
  let context: ViewsContext;
  let stopLocal = async () => {};
  let source: MetricsSource;
  let prometheusPid: number | undefined;
  if (prometheus && prometheusInstalled()) {
    prometheusPid = supervisor.start(await prometheusSpec(addr, targets, dir));
    await waitFor(`prometheus (${url}/-/ready)`, () => answersOk(`${url}/-/ready`), READY_TIMEOUT_MS, signal);
    context = { ...base, prometheusUrl: url };
    source = new PrometheusSource(directTarget(url, "weft demo's Prometheus"));
  } else {
    const scraper = new Scraper(() => targets, SCRAPE_INTERVAL_S * 1000);
    const server = http.createServer(serveSnapshots(scraper.store));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(addr.port, addr.host, resolve));
    scraper.start();
    context = { ...base, snapshotsUrl: url };
    source = new LocalSource(scraper.store);
    stopLocal = async () => {
      await scraper.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    };
  }
  const file = contextFile();
  await writeContext(file, context);
  const summary = context.prometheusUrl
    ? `Prometheus (pid ${prometheusPid}, ${PROMETHEUS_BIN}) scrapes every proxy at ${url}; try: weft stat deploy, weft edges deploy, weft top`
    : `${prometheus ? `${PROMETHEUS_BIN} is not installed` : 'No Prometheus (--no-prometheus)'}: weft stat, edges and top read the demo's own series of the proxies' /metrics (${url})`;
  return {
    summary: `${summary}\n  (context for the CLI: ${file})`,
    source,
    stop: async () => {
      await removeContext(file);
      await stopLocal();
    },
  };
}

/** Prometheus scraping every proxy, with the recording rules and alerts `weft install prometheus` gives a cluster's. */
async function prometheusSpec(addr: HostPort, targets: readonly ScrapeTarget[], dir: string) {
  const rulesFile = path.join(dir, PROMETHEUS_RULES_FILE);
  await fs.writeFile(rulesFile, stringify(prometheusRules()));
  const config = {
    global: { scrape_interval: `${SCRAPE_INTERVAL_S}s`, evaluation_interval: `${SCRAPE_INTERVAL_S}s` },
    rule_files: [rulesFile],
    scrape_configs: [
      {
        job_name: 'weft-proxy',
        scrape_timeout: `${SCRAPE_INTERVAL_S}s`,
        static_configs: targets.map((t) => ({ targets: [new URL(t.url).host], labels: t.labels })),
      },
    ],
  };
  const configFile = path.join(dir, 'prometheus.yml');
  await fs.writeFile(configFile, stringify(config));
  return {
    name: 'prometheus',
    command: PROMETHEUS_BIN,
    args: [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'prometheus-data')}`, `--web.listen-address=${formatHostPort(addr)}`, '--log.level=warn'],
  };
}
