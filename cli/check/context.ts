// What every check of one run shares: the options, the API client (made by the first check), and the objects
// read so far, so that ten checks on the issuer read its Secret once. A retry under --wait forgets the objects.
import type { KubeconfigFlags } from '../kubeconfig';
import type { KubeClient } from './kube-client';

export interface CheckOptions extends KubeconfigFlags {
  controlPlaneNamespace: string;
  /** --proxy: the namespace whose meshed pods are checked; all namespaces when undefined. */
  dataPlaneNamespace?: string;
  /** The version of this CLI: what the control plane and the proxies are compared with. */
  cliVersion: string;
  now(): number;
}

export class CheckContext {
  private client?: KubeClient;
  private readonly reads = new Map<string, Promise<unknown>>();

  constructor(readonly options: CheckOptions) {}

  get kube(): KubeClient {
    if (!this.client) throw new Error('no Kubernetes client: the kubernetes-api checks did not run first');
    return this.client;
  }

  useClient(client: KubeClient): void {
    this.client = client;
  }

  /** The value `load` gave for `key` in this attempt (a failure too: every check that needs it reports it). */
  read<T>(key: string, load: () => Promise<T>): Promise<T> {
    let found = this.reads.get(key) as Promise<T> | undefined;
    if (!found) {
      found = load();
      found.catch(() => undefined); // reported by the checks that await it
      this.reads.set(key, found);
    }
    return found;
  }

  /** Before a retry: the cluster may have changed. */
  forget(): void {
    this.reads.clear();
  }
}
