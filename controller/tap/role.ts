// The tap role (CONTRACT.md "Control plane"): once the cluster facts are complete and it holds its own
// certificate (from Certify with its service-account token, like a proxy's), serve the tap API. In a cluster
// that is the aggregated API over HTTPS, with the serving pair of --tap-tls-dir and the requestheader CA of
// kube-system/extension-apiserver-authentication (both re-read as they rotate), callers authorized by
// Kubernetes; locally plain HTTP, callers trusted by address (authorize.ts).
import { Counter } from 'prom-client';
import { formatHostPort } from '../../common/address';
import { TAP_SERVICE_METRIC } from '../../common/contract';
import { UsageError } from '../../common/errors';
import { loadKubeConfig } from '../cluster/kubeconfig';
import type { RoleContext, RunningRole } from '../roles';
import { controlPlaneTlsMetrics } from '../tls/metrics';
import { certifiedIdentity, firstCertificate, readTrustAnchors } from '../tls/serving-identity';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../common/log';
import { TAP_TLS_SECRET } from '../../common/contract';
import { TlsDir } from '../tls/tls-dir';
import { KubernetesAuthorizer, localAuthorizer, TapAuthorizer } from './authorize';
import { FrontProxySource } from './front-proxy-source';
import { startTapApi, TapApi } from './http-api';

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
  if (facts.kind === 'file' && tap.servingTlsDir) throw new UsageError('--tap-tls-dir serves the aggregated API in a cluster; with --cluster-file tap serves plain HTTP where --tap-addr says');
  if (facts.kind === 'kubernetes' && !tap.servingTlsDir) throw new UsageError(`tap in a cluster is an aggregated API over HTTPS: pass --tap-tls-dir DIR (the mounted Secret ${TAP_TLS_SECRET})`);
  let cluster: ClusterServing | undefined;
  try {
    cluster = facts.kind === 'kubernetes' ? await clusterServing(loadKubeConfig(facts.kubeconfig), tap.servingTlsDir!, log) : undefined;
    const [source] = await Promise.all([context.clusterSource(), firstCertificate(identity)]);
    if (!source.pods) throw new Error('the cluster source knows no pods to tap');
    const api = await startTapApi({
      addr: tap.addr,
      tls: cluster?.tls(),
      pods: () => source.pods!(),
      authorizer: cluster?.authorizer ?? localAuthorizer,
      certificate: () => {
        const current = identity.current();
        if (!current) throw new Error(`tap holds no valid certificate: ${identity.notReadyReason()}`);
        return { keyPem: String(current.options.key), chainPem: current.chainPem };
      },
      trustAnchorsPem,
      dropped: new Counter({ name: TAP_SERVICE_METRIC.eventsDroppedTotal, help: 'Tap events not streamed to a caller that left too much unread', registers: [context.registry] }),
      log,
    });
    cluster?.serve(api);
    return {
      addresses: { tap: formatHostPort({ host: tap.addr.host, port: api.port }) },
      close: async () => {
        cluster?.close();
        await api.close();
        identity.close();
      },
    };
  } catch (err) {
    cluster?.close();
    identity.close();
    throw err;
  }
}

interface ClusterServing {
  authorizer: TapAuthorizer;
  /** The serving pair and the requestheader CA in force now. */
  tls(): { cert: string; key: string; ca?: string };
  /** From now on, a rotated pair or CA is handed to `api`. */
  serve(api: TapApi): void;
  close(): void;
}

/** The aggregated API's two moving parts: the mounted serving Secret and the front-proxy settings. */
async function clusterServing(kubeConfig: KubeConfig, tlsDir: string, log: Logger): Promise<ClusterServing> {
  let api: TapApi | undefined;
  const tls = () => ({ ...serving.pair, ca: frontProxy.current.caPem });
  const update = () => api?.setTls(tls());
  const serving = new TlsDir(tlsDir, log, update, TAP_TLS_SECRET);
  const frontProxy = new FrontProxySource(kubeConfig, log, update);
  try {
    await frontProxy.start();
  } catch (err) {
    serving.close();
    throw err;
  }
  return {
    authorizer: new KubernetesAuthorizer(kubeConfig, () => frontProxy.current),
    tls,
    serve: (started) => void (api = started),
    close: () => {
      serving.close();
      frontProxy.close();
    },
  };
}
