// The tap role (CONTRACT.md "Control plane"): once the cluster facts are complete and it holds its own
// certificate (from Certify with its service-account token, like a proxy's), serve the HTTP tap API. Callers
// are authorized by Kubernetes in a cluster, and trusted locally (authorize.ts).
import { Counter } from 'prom-client';
import { formatHostPort } from '../../common/address';
import { TAP_SERVICE_METRIC } from '../../common/contract';
import { UsageError } from '../../common/errors';
import { loadKubeConfig } from '../cluster/kubeconfig';
import type { RoleContext, RunningRole } from '../roles';
import { controlPlaneTlsMetrics } from '../tls/metrics';
import { certifiedIdentity, firstCertificate, readTrustAnchors } from '../tls/serving-identity';
import { localAuthorizer, SubjectAccessReviewer, TapAuthorizer } from './authorize';
import { startTapApi } from './http-api';

export async function startTapRole(context: RoleContext): Promise<RunningRole> {
  const log = context.log.child({ role: 'tap' });
  const tap = context.options.tap;
  if (!tap) throw new UsageError('the tap role needs its options (--trust-anchors FILE)');
  const identityAddr = tap.tls.identitySvcAddr ?? context.localIdentity;
  if (!identityAddr) throw new UsageError('tap needs --identity-svc-addr ADDR: where to get its certificate');
  const trustAnchorsPem = readTrustAnchors(tap.tls.trustAnchorsFile);
  const identity = certifiedIdentity({
    service: 'tap',
    identityAddr,
    tokenFile: tap.tls.tokenFile,
    trustAnchorsPem,
    trustDomain: tap.tls.trustDomain,
    log,
    metrics: controlPlaneTlsMetrics(context.registry),
  });
  context.waitingFor(() => (identity.current() ? undefined : `tap: ${identity.notReadyReason()}`));
  const facts = context.options.facts;
  const authorizer: TapAuthorizer = facts.kind === 'file' ? localAuthorizer : new SubjectAccessReviewer(loadKubeConfig(facts.kubeconfig));
  try {
    const [source] = await Promise.all([context.clusterSource(), firstCertificate(identity)]);
    if (!source.pods) throw new Error('the cluster source knows no pods to tap');
    const api = await startTapApi({
      addr: tap.addr,
      pods: () => source.pods!(),
      authorizer,
      certificate: () => {
        const current = identity.current();
        if (!current) throw new Error(`tap holds no valid certificate: ${identity.notReadyReason()}`);
        return { keyPem: String(current.options.key), chainPem: current.chainPem };
      },
      trustAnchorsPem,
      dropped: new Counter({ name: TAP_SERVICE_METRIC.eventsDroppedTotal, help: 'Tap events not streamed to a caller that left too much unread', registers: [context.registry] }),
      log,
    });
    return {
      addresses: { tap: formatHostPort({ host: tap.addr.host, port: api.port }) },
      close: async () => {
        await api.close();
        identity.close();
      },
    };
  } catch (err) {
    identity.close();
    throw err;
  }
}
