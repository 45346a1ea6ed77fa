// The demo's dashboard: the same server `weft dashboard` runs, in the demo's own process, reading the demo's
// proxies (a series of their /metrics, scraped every few seconds) and the objectives its controller exports.
import type * as http from 'node:http';
import { formatHostPort, HostPort } from '../../common/address';
import { createLogger } from '../../common/log';
import { LocalSource } from '../../common/views/local';
import { Scraper, ScrapeTarget } from '../../common/views/snapshots';
import { objectivesFromMetrics } from '../../dashboard/objectives';
import { createDashboardServer, listenDashboard } from '../../dashboard/server';
import { ControllerAddrs, DEMO_NAMESPACE, START_ORDER, Topology, identityOf } from './topology';

const SCRAPE_INTERVAL_MS = 2000;

export interface DemoDashboard {
  url: string;
  close(): Promise<void>;
}

/** Each proxy's /metrics with the labels a cluster's Prometheus would give it (namespace, deployment, pod). */
export function demoScrapeTargets(topology: Topology): ScrapeTarget[] {
  return START_ORDER.map((name) => ({
    url: `http://${formatHostPort(topology[name].proxy.admin)}/metrics`,
    labels: { namespace: DEMO_NAMESPACE, deployment: name, pod: `${name}-0`, identity: identityOf(name) },
  }));
}

export async function startDemoDashboard(topology: Topology, controller: ControllerAddrs, addr: HostPort): Promise<DemoDashboard> {
  const targets = demoScrapeTargets(topology);
  const scraper = new Scraper(() => targets, SCRAPE_INTERVAL_MS);
  scraper.start();
  const server: http.Server = createDashboardServer({
    source: new LocalSource(scraper.store),
    objectives: objectivesFromMetrics(`http://${formatHostPort(controller.admin)}/metrics`),
    // The budgets count from here: before the demo there was no traffic to spend them.
    dataSinceMs: Date.now(),
    log: createLogger('dashboard', 'warn', 'plain'),
  });
  const bound = await listenDashboard(server, addr);
  return {
    url: `http://${formatHostPort(bound)}/`,
    close: async () => {
      await scraper.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
