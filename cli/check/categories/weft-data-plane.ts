// weft-data-plane (--proxy): every meshed pod's proxy is ready (its container status: the kubelet runs the proxy's
// /ready probe) and runs this CLI's version (the weft.io/proxy-version annotation the injector wrote).
import { CHECK_CATEGORIES, PROXY_CONTAINER, PROXY_VERSION } from '../../../common/contract';
import { listed, meshedPods, podName, type Pod } from '../cluster';
import type { CheckContext } from '../context';
import type { Category } from '../types';
import { CheckFailure } from '../types';

/** The proxy's status: a classic sidecar among the containers, a native one among the init containers. */
export function proxyReady(pod: Pod): boolean {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return statuses.some((s) => s.name === PROXY_CONTAINER && s.ready === true);
}

/** The readiness check says so when there are no meshed pods (--proxy on an empty mesh checks nothing); the others skip. */
export const NO_MESHED_PODS = { skipped: 'no meshed pods' };

async function requireMeshedPods(ctx: CheckContext): Promise<Pod[]> {
  const pods = await meshedPods(ctx);
  if (pods.length === 0) {
    const where = ctx.options.dataPlaneNamespace ? `namespace ${ctx.options.dataPlaneNamespace}` : 'any namespace';
    throw new CheckFailure(`no meshed pods in ${where}`, 'mesh a workload: kubectl get deploy NAME -o yaml | weft inject - | kubectl apply -f -');
  }
  return pods;
}

export const weftDataPlane: Category = {
  name: CHECK_CATEGORIES.weftDataPlane,
  checks: [
    {
      description: 'data plane namespace exists',
      hint: 'name an existing namespace with --namespace, or leave it out for all',
      run: async (ctx) => {
        const ns = ctx.options.dataPlaneNamespace;
        if (ns === undefined) return { skipped: 'all namespaces' };
        if (!(await ctx.kube.find(`/api/v1/namespaces/${ns}`))) throw new CheckFailure(`namespace ${ns} does not exist`);
      },
    },
    {
      description: 'data plane proxies are ready',
      hint: `see why with kubectl logs POD -c ${PROXY_CONTAINER}; weft check --proxy --wait 5m waits for them`,
      run: async (ctx) => {
        const waiting = (await requireMeshedPods(ctx)).filter((p) => !proxyReady(p)).map(podName);
        if (waiting.length > 0) throw new CheckFailure(`${PROXY_CONTAINER} not ready in ${listed(waiting)}`);
      },
    },
    {
      description: 'data plane and cli versions match',
      hint: 'restart the pods after an upgrade to give them the current proxy: kubectl rollout restart deploy -n NAMESPACE NAME',
      warning: true,
      run: async (ctx) => {
        const pods = await meshedPods(ctx);
        if (pods.length === 0) return NO_MESHED_PODS;
        const others = pods
          .filter((p) => p.metadata.annotations?.[PROXY_VERSION] !== ctx.options.cliVersion)
          .map((p) => `${podName(p)} runs ${p.metadata.annotations?.[PROXY_VERSION] ?? 'an unknown version'}`);
        if (others.length > 0) throw new CheckFailure(`this CLI is ${ctx.options.cliVersion}; ${listed(others)}`);
      },
    },
  ],
};
