// The destination role: once the cluster facts are complete and it holds its own certificate, serve them.
// Listening only then matters: a controller that answered before its first full list would tell proxies that
// live services are unknown. Its certificate comes from Certify with its service-account token, like a proxy's.
import { formatHostPort } from '../../common/address';
import { UsageError } from '../../common/errors';
import type { LocalIdentity } from '../../proxy/identity/local-identity';
import type { RoleContext, RunningRole } from '../roles';
import { controlPlaneTlsMetrics } from '../tls/metrics';
import { ServingTransport } from '../tls/serve';
import { certifiedIdentity, firstCertificate, readTrustAnchors } from '../tls/serving-identity';
import { startDestinationServer } from './server';

export async function startDestinationRole(context: RoleContext): Promise<RunningRole> {
  const log = context.log.child({ role: 'destination' });
  const tlsMetrics = controlPlaneTlsMetrics(context.registry);
  const tls = context.options.destinationTls;
  if (!tls) throw new UsageError('the destination role needs its TLS options');
  let serving: LocalIdentity | undefined;
  if (tls.kind === 'tls') {
    const identityAddr = tls.identitySvcAddr ?? context.localIdentity;
    if (!identityAddr) throw new UsageError('destination needs --identity-svc-addr ADDR: where to get its certificate');
    serving = certifiedIdentity({
      service: 'destination',
      identityAddr,
      tokenFile: tls.tokenFile,
      trustAnchorsPem: readTrustAnchors(tls.trustAnchorsFile),
      trustDomain: tls.trustDomain,
      log,
      metrics: tlsMetrics,
    });
    const waiting = serving;
    context.waitingFor(() => (waiting.current() ? undefined : `destination: ${waiting.notReadyReason()}`));
  }
  try {
    const [source] = await Promise.all([context.clusterSource(), serving && firstCertificate(serving)]);
    const transport: ServingTransport = serving ? { kind: 'tls', identity: serving } : { kind: 'plaintext' };
    if (!serving) log.warn({}, 'serving destination in plaintext (--destination-plaintext): proxies are not told who they talk to');
    const server = await startDestinationServer({ addr: context.options.destinationAddr, transport, tlsMetrics, source, log, registry: context.registry });
    const { host } = context.options.destinationAddr;
    return {
      addresses: { destination: formatHostPort({ host, port: server.port }) },
      close: async () => {
        await server.close();
        serving?.close();
      },
    };
  } catch (err) {
    serving?.close();
    throw err;
  }
}
