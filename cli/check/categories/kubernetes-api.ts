// kubernetes-api: a client can be made from the kubeconfig, and the API server answers. Both are fatal: nothing
// else can be checked without them, and one × with a hint says more than a page of the same error.
import { CHECK_CATEGORIES } from '../../../common/contract';
import { loadCliKubeConfig } from '../../kubeconfig';
import type { CheckContext } from '../context';
import { KubeClient } from '../kube-client';
import type { Category } from '../types';

export interface ServerVersion {
  major?: string;
  minor?: string;
  gitVersion?: string;
}

export interface VersionAnswer {
  version: ServerVersion;
  /** The server's clock (Date header) and ours before and after the request, for the skew check. */
  serverDate?: number;
  sentAt: number;
  receivedAt: number;
}

/** GET /version, once per attempt: the first request of a run, and what the version and skew checks read. */
export function serverVersion(ctx: CheckContext): Promise<VersionAnswer> {
  return ctx.read('version', async () => {
    const sentAt = Date.now();
    const res = await ctx.kube.request('GET', '/version');
    const receivedAt = Date.now();
    if (res.status >= 300) {
      const message = (res.body as { message?: string } | undefined)?.message ?? `HTTP ${res.status}`;
      throw new Error(`GET ${ctx.kube.server}/version: ${message}`);
    }
    return { version: (res.body ?? {}) as ServerVersion, serverDate: res.serverDate, sentAt, receivedAt };
  });
}

export const kubernetesApi: Category = {
  name: CHECK_CATEGORIES.kubernetesApi,
  checks: [
    {
      description: 'can initialize the client',
      hint: 'name the cluster as for kubectl: --kubeconfig FILE, KUBECONFIG, or --context NAME',
      fatal: true,
      run: async (ctx) => ctx.useClient(await KubeClient.fromConfig(loadCliKubeConfig(ctx.options))),
    },
    {
      description: 'can query the Kubernetes API',
      hint: 'check that the API server in the kubeconfig is up and reachable from here (kubectl version says the same)',
      fatal: true,
      run: async (ctx) => void (await serverVersion(ctx)),
    },
  ],
};
