// Controller certificate issuance rate on one core: what the identity service does per Certify call
// (read the CSR, check its signature, sign a leaf), with the proxy's side (key + CSR) done beforehand.
import { createCsr, createIssuer, createTrustAnchor, generateKeyPair, issueLeafForCsr, loadAuthority, namesOf, parseCsr } from '../certs';

const IDENTITY = { serviceAccount: 'bench', namespace: 'weft-bench' };
/** Bounds the loop even if the clock misbehaves; far above what one core signs in a benchmark run. */
const MAX_ISSUED = 1_000_000;

export interface IssuanceRate {
  certsPerSecond: number;
  issued: number;
  elapsedMs: number;
}

/** Signs leaves back to back for about `durationMs` (synchronously: it holds the event loop meanwhile). */
export function measureIssuanceRate(durationMs: number): IssuanceRate {
  const anchor = loadAuthority(createTrustAnchor());
  const issuer = loadAuthority(createIssuer({ anchor }));
  const csrPem = createCsr(namesOf(IDENTITY).name, generateKeyPair().privateKeyPem);
  const started = performance.now();
  let issued = 0;
  let elapsedMs = 0;
  while (elapsedMs < durationMs && issued < MAX_ISSUED) {
    issueLeafForCsr({ issuer, csr: parseCsr(csrPem), identity: IDENTITY });
    issued++;
    elapsedMs = performance.now() - started;
  }
  return { certsPerSecond: Math.round((issued * 1000) / elapsedMs), issued, elapsedMs };
}

if (require.main === module) {
  const { certsPerSecond } = measureIssuanceRate(Number(process.argv[2] ?? 2000));
  process.stdout.write(`leaf certificates issued per second on one core: ${certsPerSecond}\n`);
}
