// An identity service for the mTLS paths, run in the orchestrator (on the load core) as `weft-controller`'s
// identity role would: a fresh trust anchor and issuer, signing for local service-account tokens. Proxies get
// their certificates from it like any meshed proxy, and verify each other against the anchor.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createIssuer, createTrustAnchor, loadAuthority } from '../certs';
import { systemClock } from '../common/clock';
import { ENV, identityName } from '../common/contract';
import { createLogger } from '../common/log';
import { LocalTokenAuthority } from '../controller/identity/local-token-authority';
import { startIdentityServer } from '../controller/identity/server';

export const BENCH_NAMESPACE = 'bench';

export interface BenchIdentity {
  /** The WEFT_PROXY_IDENTITY_* environment of a proxy running as `serviceAccount` in the bench namespace. */
  proxyEnv(serviceAccount: string): NodeJS.ProcessEnv;
  /** The identity name a proxy running as `serviceAccount` proves. */
  nameOf(serviceAccount: string): string;
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
    close: () => server.close(),
  };
}
