// The identity role (CONTRACT.md "Identity and mTLS"): Certify on --identity-addr over TLS, signing with the
// issuer in --issuer-dir (re-read on change), for tokens a TokenReview vouches for — or, in local mode
// (--cluster-file), tokens minted with the secret in --token-secret-file (what `weft demo` does). Its own
// serving certificate it signs itself, and signs again when the issuer changes.
import * as fs from 'node:fs';
import { systemClock } from '../../common/clock';
import { formatHostPort } from '../../common/address';
import { UsageError } from '../../common/errors';
import { loadKubeConfig } from '../cluster/kubeconfig';
import type { ControllerOptions } from '../options';
import type { IdentityOptions } from './options';
import type { RoleContext, RunningRole } from '../roles';
import { controlPlaneTlsMetrics } from '../tls/metrics';
import { readTrustAnchors } from '../tls/serving-identity';
import { IssuerDir } from './issuer-dir';
import { LocalTokenAuthority } from './local-token-authority';
import { createIdentityServiceMetrics } from './metrics';
import { startIdentityServer } from './server';
import type { TokenReviewer } from './token-reviewer';

/** HS256 wants at least as many secret bytes as the hash has. */
const MIN_SECRET_BYTES = 32;

export async function startIdentityRole(context: RoleContext): Promise<RunningRole> {
  const { options } = context;
  const identity = options.identity;
  if (!identity) throw new UsageError('the identity role needs --issuer-dir DIR and --trust-anchors FILE');
  const log = context.log.child({ role: 'identity' });
  const metrics = createIdentityServiceMetrics(context.registry);
  const tlsMetrics = controlPlaneTlsMetrics(context.registry);
  const trustAnchorsPem = readTrustAnchors(identity.trustAnchorsFile);
  const issuerDir = new IssuerDir(identity.issuerDir, trustAnchorsPem, log);
  const showExpiry = () => metrics.issuerExpiration.set(issuerDir.issuer().cert.notAfter / 1000);
  showExpiry();
  issuerDir.onChange(showExpiry);
  try {
    const server = await startIdentityServer({
      addr: identity.addr,
      trustAnchorsPem,
      tlsMetrics,
      issuer: () => issuerDir.issuer(),
      reviewer: tokenReviewer(options, identity),
      clock: systemClock,
      leafLifetimeMs: identity.leafLifetimeMs,
      log,
      metrics,
    });
    // Its own certificate from the new issuer at once, so an anchor being retired stops being needed here too.
    issuerDir.onChange(() => server.renewServingCertificate());
    return {
      addresses: { identity: formatHostPort({ host: identity.addr.host, port: server.port }) },
      local: { host: reachableHost(identity.addr.host), port: server.port },
      close: async () => {
        issuerDir.close();
        await server.close();
      },
    };
  } catch (err) {
    issuerDir.close();
    throw err;
  }
}

function tokenReviewer(options: ControllerOptions, identity: IdentityOptions): TokenReviewer {
  if (options.facts.kind === 'file') {
    if (!identity.tokenSecretFile) throw new UsageError('in local mode (--cluster-file) the identity role needs --token-secret-file FILE, the secret local tokens are signed with');
    const secret = fs.readFileSync(identity.tokenSecretFile);
    if (secret.length < MIN_SECRET_BYTES) throw new UsageError(`--token-secret-file ${identity.tokenSecretFile} holds ${secret.length} bytes; use at least ${MIN_SECRET_BYTES} random bytes`);
    return new LocalTokenAuthority(secret);
  }
  // Loaded only here: @kubernetes/client-node takes seconds to load, which local mode need not wait for.
  const { KubernetesTokenReviewer } = require('./kubernetes-token-reviewer') as typeof import('./kubernetes-token-reviewer');
  return new KubernetesTokenReviewer(loadKubeConfig(options.facts.kubeconfig));
}

/** A wildcard listen address is reached on loopback from inside the process. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  return host === '::' ? '::1' : host;
}

