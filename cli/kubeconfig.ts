// Which cluster a CLI command talks to, chosen as kubectl chooses it: --kubeconfig FILE, else the files listed in
// KUBECONFIG, else ~/.kube/config; --context NAME instead of the file's current context.
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubeconfigFlags {
  kubeconfig?: string;
  context?: string;
}

/** The chosen kubeconfig could not be used: says which and what to do. */
export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

/** Loaded on demand: @kubernetes/client-node takes a while to load, which commands without a cluster need not wait for. */
export function loadCliKubeConfig(flags: KubeconfigFlags): KubeConfig {
  const { KubeConfig } = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const source = flags.kubeconfig ?? (process.env.KUBECONFIG ? `KUBECONFIG (${process.env.KUBECONFIG})` : '~/.kube/config');
  try {
    if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new KubeconfigError(`cannot read the kubeconfig ${source}: ${(err as Error).message}`, { cause: err });
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeconfigError(`context ${JSON.stringify(flags.context)} is not in ${source}; it has ${known.length > 0 ? known.join(', ') : 'no contexts'}`);
    }
    kc.setCurrentContext(flags.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeconfigError(`${source} names no cluster for context ${JSON.stringify(kc.getCurrentContext() || '(none)')}`);
  }
  return kc;
}
