// Runs the roles asked for in one process: the shared cluster facts, one metrics registry, the admin server
// (/metrics, /ready, /live), and a clean stop.
import type * as http from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createAdminServer, listenAdmin } from '../common/admin-server';
import { formatHostPort } from '../common/address';
import type { Logger } from '../common/log';
import { LocalSource } from './cluster/local';
import type { ClusterSource } from './cluster/types';
import type { ControllerOptions } from './options';
import { RoleContext, ROLES, RunningRole } from './roles';
import { registerObjectiveGauges } from './slo/metrics';

export interface Controller {
  close(): Promise<void>;
}

export async function startController(options: ControllerOptions, log: Logger): Promise<Controller> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const source = createSource(options, log);
  let started: Promise<ClusterSource> | undefined;
  let facts: ClusterSource | undefined;
  const waits: (() => string | undefined)[] = [];
  const context: RoleContext = {
    options,
    log,
    registry,
    clusterSource: () => (started ??= source.start().then(() => (facts = source))),
    waitingFor: (reason) => waits.push(reason),
  };

  // The objectives of whatever facts the roles started: a controller that needs none (the injector) has none.
  registerObjectiveGauges(registry, () => facts?.objectives() ?? []);

  const running: RunningRole[] = [];
  let ready = false;
  const admin: http.Server = createAdminServer({
    registry,
    notReadyReason: () => (ready ? undefined : (source.notReadyReason() ?? waits.map((reason) => reason()).find(Boolean) ?? 'starting')),
  });
  const adminAddr = await listenAdmin(admin, options.adminAddr);
  const close = async () => {
    await Promise.all(running.map((r) => r.close()));
    await source.stop();
    admin.closeAllConnections();
    await new Promise((resolve) => admin.close(resolve));
  };
  try {
    // Identity first: the other roles of this process get their certificates from it.
    if (options.roles.includes('identity')) {
      const identity = await ROLES.identity(context);
      running.push(identity);
      context.localIdentity = identity.local;
    }
    const others = options.roles.filter((name) => name !== 'identity');
    running.push(...(await Promise.all(others.map((name) => ROLES[name](context)))));
  } catch (err) {
    await close();
    throw err;
  }
  ready = true;
  const addresses = Object.assign({ admin: formatHostPort(adminAddr) }, ...running.map((r) => r.addresses)) as Record<string, string>;
  log.info({ roles: options.roles.join(','), ...addresses }, 'controller ready');
  return { close };
}

function createSource(options: ControllerOptions, log: Logger): ClusterSource {
  if (options.facts.kind === 'file') return new LocalSource(options.facts.path, log.child({ source: 'file' }));
  // Loaded only when used: @kubernetes/client-node takes seconds to load, which local mode need not wait for.
  const { KubernetesSource } = require('./cluster/kubernetes') as typeof import('./cluster/kubernetes');
  return new KubernetesSource({ kubeconfig: options.facts.kubeconfig, log: log.child({ source: 'kubernetes' }) });
}
