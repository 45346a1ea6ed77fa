// weft-ha-checks: with --ha each control plane Deployment runs several replicas, so one node's loss or a rollout
// leaves the mesh served. Not run on installs with one replica each.
import { CHECK_CATEGORIES } from '../../../common/contract';
import { listed } from '../cluster';
import type { Category } from '../types';
import { CheckFailure } from '../types';
import { controlPlaneWorkloads, podIsReady } from './weft-existence';

export const weftHa: Category = {
  name: CHECK_CATEGORIES.weftHa,
  checks: [
    {
      description: 'multiple replicas of control plane pods',
      hint: 'give the cluster room for them (several nodes: the replicas keep apart), or see why with kubectl describe pod',
      warning: true,
      run: async (ctx) => {
        const workloads = await controlPlaneWorkloads(ctx);
        if (!workloads.some(({ deployment }) => (deployment.spec?.replicas ?? 1) > 1)) return { skipped: 'not an HA install' };
        const short = workloads.filter(({ pods }) => pods.filter(podIsReady).length < 2).map(({ deployment, pods }) => `${deployment.metadata.name} (${pods.filter(podIsReady).length} ready)`);
        if (short.length > 0) throw new CheckFailure(`fewer than 2 ready replicas: ${listed(short)}`);
      },
    },
  ],
};
