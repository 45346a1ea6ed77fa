// An identity service for the mTLS paths, run in the orchestrator (on the load core) as `weft-controller`'s
// identity role would: a fresh trust anchor and issuer, signing for local service-account tokens. Proxies get
// their certificates from it like any meshed proxy, and verify each other against the anchor. The bench's tap
// client gets the control plane's tap identity straight from the issuer, as the tap tests do.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createIssuer, createTrustAnchor, generateKeyPair, issueLeaf, loadAuthority } from '../certs';
import { systemClock } from '../common/clock';
import { CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICES, ENV, identityName } from '../common/contract';
import type { ClientCertificate } from '../common/grpc-tls';
import { createLogger } from '../common/log';
import { LocalTokenAuthority } from '../controller/identity/local-token-authority';
import { startIdentityServer } from '../controller/identity/server';

export const BENCH_NAMESPACE = 'bench';
const TAP_CERTIFICATE_LIFETIME_MS = 24 * 3_600_000;

export interface BenchIdentity {
  /** The WEFT_PROXY_IDENTITY_* environment of a proxy running as `serviceAccount` in the bench namespace. */
  proxyEnv(serviceAccount: string): NodeJS.ProcessEnv;
  /** The identity name a proxy running as `serviceAccount` proves. */
  nameOf(serviceAccount: string): string;
  trustAnchorsPem: string;
  /** A certificate naming the control plane's tap identity, the only caller a proxy's tap port serves. */
  tapClient(): ClientCertificate;
  close(): Promise<void>;
}

/** Token files go into `dir`. */
export async function startBenchIdentity(dir: string): Promise<BenchIdentity> {
  const anchor = createTrustAnchor();
  const issuer = loadAuthority(createIssuer({ anchor: loadAuthority(anchor) }));
  const tokens = new LocalTokenAuthority();
  const server = await startIdentityServer({
    addr: { host: '127.0.0.1', port: 0 },
    issuer: () => issuer,
    trustAnchorsPem: anchor.certPem,
    reviewer: tokens,
    clock: systemClock,
    log: createLogger('bench-identity', 'warn', 'plain'),
  });
  return {
    proxyEnv(serviceAccount) {
      const tokenFile = path.join(dir, `${serviceAccount}.token`);
      fs.writeFileSync(tokenFile, tokens.mint({ serviceAccount, namespace: BENCH_NAMESPACE }));
      return {
        [ENV.identityDisabled]: 'false',
        [ENV.identitySvcAddr]: `127.0.0.1:${server.port}`,
        [ENV.identitySvcName]: server.name,
        [ENV.identityTokenFile]: tokenFile,
        [ENV.identityLocalName]: identityName(serviceAccount, BENCH_NAMESPACE),
        [ENV.identityTrustAnchors]: anchor.certPem,
      };
    },
    nameOf: (serviceAccount) => identityName(serviceAccount, BENCH_NAMESPACE),
    trustAnchorsPem: anchor.certPem,
    tapClient() {
      const keys = generateKeyPair();
      const identity = { serviceAccount: CONTROL_PLANE_SERVICES.tap.serviceAccount, namespace: CONTROL_PLANE_NAMESPACE };
      const { chainPem } = issueLeaf({ issuer, publicKeyPem: keys.publicKeyPem, identity, now: Date.now(), lifetimeMs: TAP_CERTIFICATE_LIFETIME_MS });
      return { keyPem: keys.privateKeyPem, chainPem };
    },
    close: () => server.close(),
  };
}
