// The demo's dashboard: the same server `weft dashboard` runs, in the demo's own process, reading the demo's
// metrics (its Prometheus, or its series of the proxies' /metrics: views.ts) and the objectives its controller
// exports on its admin /metrics; its tap view relays the controller's tap service.
import type * as http from 'node:http';
import { formatHostPort, HostPort } from '../../common/address';
import { createLogger } from '../../common/log';
import { tapAtAddress } from '../../common/tap-client';
import type { MetricsSource } from '../../common/views/source';
import { objectivesFromMetrics } from '../../dashboard/objectives';
import { createDashboardServer, listenDashboard } from '../../dashboard/server';
import type { ControllerAddrs } from './topology';

export interface DemoDashboard {
  url: string;
  close(): Promise<void>;
}

export async function startDemoDashboard(source: MetricsSource, controller: ControllerAddrs, addr: HostPort): Promise<DemoDashboard> {
  const server: http.Server = createDashboardServer({
    source,
    objectives: objectivesFromMetrics(`http://${formatHostPort(controller.admin)}/metrics`),
    // The budgets count from here: before the demo there was no traffic to spend them.
    dataSinceMs: Date.now(),
    log: createLogger('dashboard', 'warn', 'plain'),
    tap: tapAtAddress(controller.tap),
  });
  const bound = await listenDashboard(server, addr);
  return {
    url: `http://${formatHostPort(bound)}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
