// pre-kubernetes-setup (--pre): the control plane namespace is free, the user may create every kind `weft install`
// emits (asked with SelfSubjectAccessReviews, so the answer is the cluster's own RBAC), and this machine's clock
// agrees with the API server's (certificates made here would otherwise start in the future, or look expired).
import { CHECK_CATEGORIES, CLOCK_SKEW_MS } from '../../../common/contract';
import { INSTALL_KINDS } from '../../install/render';
import { qualifiedResource } from '../components';
import type { CheckContext } from '../context';
import type { Category, Check } from '../types';
import { CheckFailure } from '../types';
import { serverVersion } from './kubernetes-api';

interface Resource {
  group: string;
  resource: string;
  label: string;
  namespaced: boolean;
}

const r = (group: string, resource: string, label: string, namespaced = true): Resource => ({ group, resource, label, namespaced });

/** Every kind `weft install` (and `--ha`) creates: its resource as RBAC names it (all these plurals are regular). */
const INSTALLED: Resource[] = INSTALL_KINDS.map(({ apiVersion, kind, namespaced }) =>
  r(apiVersion.includes('/') ? apiVersion.split('/')[0] : '', `${kind.toLowerCase()}s`, `${kind}s`, namespaced),
);
const CLUSTER_SCOPED = INSTALLED.filter((k) => !k.namespaced);
const NAMESPACED = INSTALLED.filter((k) => k.namespaced);

interface AccessReview {
  status?: { allowed?: boolean; reason?: string; evaluationError?: string };
}

async function mayI(ctx: CheckContext, verb: string, resource: Resource): Promise<boolean> {
  const review = await ctx.kube.create<AccessReview>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        verb,
        group: resource.group,
        resource: resource.resource,
        ...(resource.namespaced ? { namespace: ctx.options.controlPlaneNamespace } : {}),
      },
    },
  });
  return review.status?.allowed === true;
}

function canCheck(verb: string, description: string, resources: Resource[]): Check {
  return {
    description,
    hint: 'ask a cluster admin for these permissions, or run as a user who has them (kubectl auth can-i … says the same)',
    run: async (ctx) => {
      const denied: string[] = [];
      for (const resource of resources) if (!(await mayI(ctx, verb, resource))) denied.push(qualifiedResource(resource));
      if (denied.length === 0) return;
      const where = resources[0].namespaced ? ` in namespace ${ctx.options.controlPlaneNamespace}` : '';
      throw new CheckFailure(`not allowed to ${verb} ${denied.join(', ')}${where}`);
    },
  };
}

export const preKubernetesSetup: Category = {
  name: CHECK_CATEGORIES.preKubernetesSetup,
  checks: [
    {
      description: 'control plane namespace does not already exist',
      hint: 'weft is installed there already: weft upgrade changes it; weft uninstall | kubectl delete -f - removes it',
      run: async (ctx) => {
        const ns = ctx.options.controlPlaneNamespace;
        if (await ctx.kube.find(`/api/v1/namespaces/${ns}`)) throw new CheckFailure(`namespace ${ns} already exists`);
      },
    },
    canCheck('create', 'can create non-namespaced resources', CLUSTER_SCOPED),
    ...NAMESPACED.map((resource) => canCheck('create', `can create ${resource.label}`, [resource])),
    canCheck('get', 'can read Secrets', [r('', 'secrets', 'Secrets')]),
    {
      description: 'no clock skew detected',
      hint: "sync this machine's clock (and the cluster's nodes') with NTP",
      warning: true,
      run: async (ctx) => {
        const { serverDate, sentAt, receivedAt } = await serverVersion(ctx);
        if (serverDate === undefined) throw new CheckFailure('the API server sent no Date header to compare clocks with');
        // The Date header has whole seconds: the server's clock was in [date, date + 1 s) while we waited.
        const ahead = serverDate - receivedAt;
        const behind = sentAt - (serverDate + 1000);
        const skew = ahead > 0 ? ahead : behind > 0 ? -behind : 0;
        if (Math.abs(skew) > CLOCK_SKEW_MS) {
          throw new CheckFailure(`the API server's clock is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'ahead of' : 'behind'} this machine's (more than the ${CLOCK_SKEW_MS / 1000} s certificates allow)`);
        }
      },
    },
  ],
};
