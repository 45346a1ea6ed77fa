// weft-identity-data-plane (--proxy): every meshed proxy proves itself with a certificate that chains to the current
// trust anchors, and was given the current anchors to verify its peers with.
// The certificate is the one the proxy presents: its admin port's GET /identity, reached through the API server's
// pod proxy as `weft identity POD --kubeconfig` reaches it. The anchors it was given are what the injector recorded
// in weft.io/trust-root-sha256; a pod injected before an anchor rotation holds others, so certificates from the
// current issuer do not verify there.
import { verifyChain } from '../../../certs';
import { ADMIN_PORT_NAME, CHECK_CATEGORIES, PROXY_CONTAINER, TRUST_ROOT_SHA256 } from '../../../common/contract';
import { httpGet } from '../../../common/views/http-target';
import { PROXY_PORTS } from '../../../injector/containers';
import { trustRootSha256 } from '../../../injector/inject';
import type { IdentityDocument } from '../../../proxy/identity/admin-route';
import { IDENTITY_ROUTE } from '../../../proxy/identity/admin-route';
import { apiServerProxyTarget, podProxyPath } from '../../kube-service-proxy';
import { listed, meshConfig, meshedPods, podName, type Pod } from '../cluster';
import type { CheckContext } from '../context';
import type { Category } from '../types';
import { CheckFailure } from '../types';
import { NO_MESHED_PODS, proxyReady } from './weft-data-plane';

/** How many proxies are asked at once: a large mesh is read in rounds, not with thousands of open requests. */
const PROXIES_AT_ONCE = 8;
const IDENTITY_TIMEOUT_MS = 5000;

/** The proxy's admin port as the injector declared it (weft-admin); the default where the spec does not say. */
function adminPort(pod: Pod): number {
  const proxy = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === PROXY_CONTAINER);
  return proxy?.ports?.find((p) => p.name === ADMIN_PORT_NAME)?.containerPort ?? PROXY_PORTS.admin;
}

/** What is wrong with the certificate a pod's proxy presents: `unreachable` when its /identity could not be read. */
type CertificateFinding = { kind: 'ok' } | { kind: 'unreachable' | 'untrusted'; detail: string };

async function proxyCertificate(ctx: CheckContext, pod: Pod, anchorsPem: string): Promise<CertificateFinding> {
  const ns = pod.metadata.namespace ?? 'default';
  const target = await apiServerProxyTarget(ctx.kube.config, podProxyPath(ns, pod.metadata.name, adminPort(pod)), `the proxy of ${podName(pod)}`);
  let answer;
  try {
    answer = await httpGet(target, IDENTITY_ROUTE, IDENTITY_TIMEOUT_MS);
  } catch (err) {
    return { kind: 'unreachable', detail: `${podName(pod)} (${(err as Error).message})` };
  }
  if (answer.status !== 200) return { kind: 'unreachable', detail: `${podName(pod)} (GET ${IDENTITY_ROUTE}: ${answer.status} ${answer.body.trim().slice(0, 200)})` };
  let doc: IdentityDocument;
  try {
    doc = JSON.parse(answer.body) as IdentityDocument;
  } catch {
    return { kind: 'unreachable', detail: `${podName(pod)} (GET ${IDENTITY_ROUTE} is not JSON)` };
  }
  let verified;
  try {
    verified = verifyChain({ chainPem: doc.chainPem ?? '', anchorsPem, name: doc.name, now: ctx.options.now() });
  } catch (err) {
    verified = { ok: false as const, reason: `its chain does not parse: ${(err as Error).message}` };
  }
  return verified.ok ? { kind: 'ok' } : { kind: 'untrusted', detail: `${podName(pod)} (${verified.reason})` };
}

async function inRounds<T, R>(items: T[], size: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(each))));
  return results;
}

export const weftIdentityDataPlane: Category = {
  name: CHECK_CATEGORIES.weftIdentityDataPlane,
  checks: [
    {
      description: "data plane proxies' certificates chain to the current trust anchors",
      hint: 'restart the pod so its proxy gets a certificate from the current issuer: kubectl rollout restart deploy -n NAMESPACE NAME',
      run: async (ctx) => {
        const [pods, mesh] = await Promise.all([meshedPods(ctx), meshConfig(ctx)]);
        if (pods.length === 0) return NO_MESHED_PODS;
        // A proxy that is not ready may hold no certificate yet; the readiness check reports it.
        const ready = pods.filter(proxyReady);
        if (ready.length === 0) return { skipped: 'no ready proxies' };
        const findings = await inRounds(ready, PROXIES_AT_ONCE, (pod) => proxyCertificate(ctx, pod, mesh.trustAnchorsPem));
        const of = (kind: 'unreachable' | 'untrusted') => findings.flatMap((f) => (f.kind === kind ? [f.detail] : []));
        const [untrusted, unreachable] = [of('untrusted'), of('unreachable')];
        const parts = [
          untrusted.length > 0 ? `certificates that do not chain to the current trust anchors: ${listed(untrusted)}` : undefined,
          unreachable.length > 0 ? `cannot read the certificate of ${listed(unreachable)}` : undefined,
        ].filter((p) => p !== undefined);
        if (parts.length === 0) return;
        const reachHint = `check that the API server reaches the proxy's admin port: kubectl get --raw /api/v1/namespaces/NAMESPACE/pods/NAME:${PROXY_PORTS.admin}/proxy${IDENTITY_ROUTE}`;
        throw new CheckFailure(parts.join('; '), untrusted.length > 0 ? undefined : reachHint);
      },
    },
    {
      description: 'data plane proxies trust the current trust anchors',
      hint: 'restart those pods so the injector gives them the current anchors: kubectl rollout restart deploy -n NAMESPACE NAME',
      run: async (ctx) => {
        const [pods, mesh] = await Promise.all([meshedPods(ctx), meshConfig(ctx)]);
        if (pods.length === 0) return NO_MESHED_PODS;
        const current = trustRootSha256(mesh.trustAnchorsPem);
        const stale = pods.filter((p) => p.metadata.annotations?.[TRUST_ROOT_SHA256] !== current).map(podName);
        if (stale.length > 0) throw new CheckFailure(`${TRUST_ROOT_SHA256} is not the current bundle's (sha256 ${current.slice(0, 12)}…): ${listed(stale)}`);
      },
    },
  ],
};
