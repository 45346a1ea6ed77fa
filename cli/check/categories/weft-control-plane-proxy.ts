// weft-control-plane-proxy: what every proxy needs of the control plane. Its pods are not meshed (their gRPC speaks
// TLS itself), so this is the proxies' side: the Services they dial exist on the contract's ports, and the mesh
// config tells them the identities the control plane's certificates carry (a wrong name fails every handshake).
import { CHECK_CATEGORIES, controlPlaneIdentityName, MESH_CONFIG_MAP } from '../../../common/contract';
import { meshConfig } from '../cluster';
import { COMPONENTS } from '../components';
import type { Category } from '../types';
import { CheckFailure } from '../types';

interface Service {
  spec?: { ports?: Array<{ port: number }> };
}

export const weftControlPlaneProxy: Category = {
  name: CHECK_CATEGORIES.weftControlPlaneProxy,
  checks: [
    {
      description: 'control plane Services exist on their ports',
      hint: 'restore them: weft install | kubectl apply -f -',
      run: async (ctx) => {
        const ns = ctx.options.controlPlaneNamespace;
        const problems: string[] = [];
        for (const { service, servicePort } of COMPONENTS) {
          const found = await ctx.kube.find<Service>(`/api/v1/namespaces/${ns}/services/${service}`);
          if (!found) problems.push(`no Service ${service}`);
          else if (!(found.spec?.ports ?? []).some((p) => p.port === servicePort)) problems.push(`Service ${service} has no port ${servicePort}`);
        }
        if (problems.length > 0) throw new CheckFailure(`${problems.join('; ')} in namespace ${ns}`);
      },
    },
    {
      description: 'proxies verify the control plane by its identities',
      hint: `set identity.name and destination.name in ${MESH_CONFIG_MAP} to the control plane's identities (or remove them for the defaults)`,
      run: async (ctx) => {
        const mesh = await meshConfig(ctx);
        const problems: string[] = [];
        for (const service of ['identity', 'destination'] as const) {
          const expected = controlPlaneIdentityName(service, mesh.trustDomain, mesh.controlPlaneNamespace);
          if (mesh[service].name !== expected) problems.push(`${service}.name is ${mesh[service].name}, but its certificate names ${expected}`);
        }
        if (problems.length > 0) throw new CheckFailure(problems.join('; '));
      },
    },
  ],
};
