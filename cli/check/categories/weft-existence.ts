// weft-existence: the control plane is installed (its mesh config), its Deployments exist and their pods are ready.
// Pods are matched to each Deployment by its selector, so the check follows whatever labels install gave them.
import { CHECK_CATEGORIES, MESH_CONFIG_MAP } from '../../../common/contract';
import { COMPONENTS } from '../components';
import { controlPlanePods, deployments, findConfigMap, listed, type Deployment, type Pod } from '../cluster';
import type { CheckContext } from '../context';
import type { Category } from '../types';
import { CheckFailure } from '../types';

const INSTALL_HINT = 'install the control plane: weft install | kubectl apply -f -';

export function podIsReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function podsOf(deployment: Deployment, pods: Pod[]): Pod[] {
  const selector = Object.entries(deployment.spec?.selector?.matchLabels ?? {});
  if (selector.length === 0) return [];
  return pods.filter((pod) => selector.every(([key, value]) => pod.metadata.labels?.[key] === value));
}

/** The expected Deployments that exist, with their pods. */
export async function controlPlaneWorkloads(ctx: CheckContext): Promise<Array<{ deployment: Deployment; pods: Pod[] }>> {
  const [all, pods] = await Promise.all([deployments(ctx), controlPlanePods(ctx)]);
  const names = new Set(COMPONENTS.map((c) => c.deployment));
  return all.filter((d) => names.has(d.metadata.name)).map((deployment) => ({ deployment, pods: podsOf(deployment, pods) }));
}

function notReady(pod: Pod): string {
  const phase = pod.status?.phase ?? 'no status';
  return `${pod.metadata.name} (${phase === 'Running' ? 'Running, not Ready' : phase})`;
}

export const weftExistence: Category = {
  name: CHECK_CATEGORIES.weftExistence,
  checks: [
    {
      description: `'${MESH_CONFIG_MAP}' config map exists`,
      hint: INSTALL_HINT,
      fatal: true,
      run: async (ctx) => {
        if (!(await findConfigMap(ctx, MESH_CONFIG_MAP))) {
          throw new CheckFailure(`ConfigMap ${ctx.options.controlPlaneNamespace}/${MESH_CONFIG_MAP} does not exist: weft is not installed in namespace ${ctx.options.controlPlaneNamespace}`);
        }
      },
    },
    {
      description: 'control plane Deployments exist',
      hint: INSTALL_HINT,
      run: async (ctx) => {
        const present = new Set((await deployments(ctx)).map((d) => d.metadata.name));
        const missing = COMPONENTS.map((c) => c.deployment).filter((name) => !present.has(name));
        if (missing.length > 0) throw new CheckFailure(`no Deployment ${missing.join(', ')} in namespace ${ctx.options.controlPlaneNamespace}`);
      },
    },
    {
      description: 'control plane pods are ready',
      hint: 'see why with kubectl describe pod in the control plane namespace; weft check --wait 5m waits for them',
      run: async (ctx) => {
        const problems: string[] = [];
        for (const { deployment, pods } of await controlPlaneWorkloads(ctx)) {
          if (pods.length === 0) problems.push(`${deployment.metadata.name} has no pods`);
          const waiting = pods.filter((p) => !podIsReady(p));
          if (waiting.length > 0) problems.push(`${deployment.metadata.name}: ${listed(waiting.map(notReady))}`);
        }
        const ns = ctx.options.controlPlaneNamespace;
        if (problems.length > 0) {
          throw new CheckFailure(`not ready: ${problems.join('; ')}`, `see why with kubectl -n ${ns} describe pod NAME; weft check --wait 5m waits for them`);
        }
      },
    },
  ],
};
