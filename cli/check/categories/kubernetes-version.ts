// kubernetes-version: the cluster is new enough for every API `weft install` emits.
import { CHECK_CATEGORIES, MIN_KUBERNETES_VERSION } from '../../../common/contract';
import { parseKubernetesVersion } from '../../../injector/kubernetes-version';
import type { Category } from '../types';
import { CheckFailure } from '../types';
import { serverVersion } from './kubernetes-api';

const MIN = `${MIN_KUBERNETES_VERSION.major}.${MIN_KUBERNETES_VERSION.minor}`;

export const kubernetesVersion: Category = {
  name: CHECK_CATEGORIES.kubernetesVersion,
  checks: [
    {
      description: 'is running the minimum Kubernetes API version',
      hint: `upgrade the cluster to Kubernetes ${MIN} or later`,
      run: async (ctx) => {
        const { version } = await serverVersion(ctx);
        const parsed = parseKubernetesVersion(version);
        if (!parsed) throw new CheckFailure(`the API server's /version does not say which version it is: ${JSON.stringify(version)}`);
        const { major, minor } = MIN_KUBERNETES_VERSION;
        if (parsed.major < major || (parsed.major === major && parsed.minor < minor)) {
          throw new CheckFailure(`Kubernetes is ${version.gitVersion ?? `${parsed.major}.${parsed.minor}`}; weft needs ${MIN} or later`);
        }
      },
    },
  ],
};
