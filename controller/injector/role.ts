// The injector role (CONTRACT.md "Injection"): the mutating webhook on --injector-addr, serving with the pair in
// --injector-tls-dir (re-read on change), deciding from the Kubernetes API's facts. It listens only once those
// are complete: an injector that answered before it knew the namespaces would leave annotated pods unmeshed.
import { formatHostPort } from '../../common/address';
import { INJECTOR_TLS_SECRET } from '../../common/contract';
import { UsageError } from '../../common/errors';
import { loadKubeConfig } from '../cluster/kubeconfig';
import type { RoleContext, RunningRole } from '../roles';
import { createInjectorMetrics } from './metrics';
import { InjectorServer, startInjectorServer } from './server';
import { TlsDir } from '../tls/tls-dir';

export async function startInjectorRole(context: RoleContext): Promise<RunningRole> {
  const { options } = context;
  const injector = options.injector;
  if (!injector) throw new UsageError('the injector role needs --injector-tls-dir DIR (tls.crt and tls.key of its serving certificate)');
  if (options.facts.kind !== 'kubernetes') {
    throw new UsageError('the injector role reads the Kubernetes API: pass --kubeconfig FILE (or run it in a pod), not --cluster-file');
  }
  const log = context.log.child({ role: 'injector' });
  let server: InjectorServer | undefined;
  const tlsDir = new TlsDir(injector.tlsDir, log, (pair) => server?.setKeyPair(pair), INJECTOR_TLS_SECRET);
  // Loaded only here: @kubernetes/client-node takes seconds to load, which local mode need not wait for.
  const { KubernetesInjectorFacts } = require('./kubernetes-facts') as typeof import('./kubernetes-facts');
  const kubeConfig = loadKubeConfig(options.facts.kubeconfig);
  const facts = new KubernetesInjectorFacts({ kubeConfig, controlPlaneNamespace: injector.controlPlaneNamespace, log });
  try {
    await facts.start();
    server = await startInjectorServer({ address: injector.addr, keyPair: tlsDir.pair, facts, metrics: createInjectorMetrics(context.registry), log });
  } catch (err) {
    tlsDir.close();
    await facts.stop();
    throw err;
  }
  const running = server;
  return {
    addresses: { injector: formatHostPort({ host: injector.addr.host, port: running.port }) },
    close: async () => {
      tlsDir.close();
      await running.close();
      await facts.stop();
    },
  };
}
