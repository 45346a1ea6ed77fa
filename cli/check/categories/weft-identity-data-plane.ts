// weft-identity-data-plane (--proxy): every meshed proxy trusts the current trust anchors. The injector records the
// sha256 of the anchors it gave a pod (weft.io/trust-root-sha256); a pod injected before an anchor rotation holds
// others, so certificates from the current issuer do not verify there, nor its certificate elsewhere.
// Not read here: the proxy's own leaf certificate (the proxy's admin serves no certificate route yet).
import { CHECK_CATEGORIES, TRUST_ROOT_SHA256 } from '../../../common/contract';
import { trustRootSha256 } from '../../../injector/inject';
import { listed, meshConfig, meshedPods, podName } from '../cluster';
import type { Category } from '../types';
import { CheckFailure } from '../types';
import { NO_MESHED_PODS } from './weft-data-plane';

export const weftIdentityDataPlane: Category = {
  name: CHECK_CATEGORIES.weftIdentityDataPlane,
  checks: [
    {
      description: 'data plane proxies trust the current trust anchors',
      hint: 'restart those pods so the injector gives them the current anchors: kubectl rollout restart deploy -n NAMESPACE NAME',
      run: async (ctx) => {
        const [pods, mesh] = await Promise.all([meshedPods(ctx), meshConfig(ctx)]);
        if (pods.length === 0) return NO_MESHED_PODS;
        const current = trustRootSha256(mesh.trustAnchorsPem);
        const stale = pods.filter((p) => p.metadata.annotations?.[TRUST_ROOT_SHA256] !== current).map(podName);
        if (stale.length > 0) throw new CheckFailure(`injected with other trust anchors than the current ones (sha256 ${current.slice(0, 12)}…): ${listed(stale)}`);
      },
    },
  ],
};
