// Path validation for weft's own chains: leaf → issuer(s) → one of the trust anchors, at a given time.
// Deliberately small (RFC 5280 6.1 without policies or name constraints): weft issues every certificate
// it checks here; TLS handshakes use node's own verifier against the same anchors.
import { parseCertificates, ParsedCertificate, isValidAt } from './parse';

export interface VerifyOptions {
  /** PEM: the leaf first, then any intermediates (what `issueLeaf` returns as `chainPem`). */
  chainPem: string;
  /** PEM: one or more trust anchors. */
  anchorsPem: string;
  /** The identity name the leaf must carry as a DNS SAN. */
  name?: string;
  now?: number;
}

export type VerifyResult =
  | { ok: true; leaf: ParsedCertificate; path: ParsedCertificate[] }
  | { ok: false; reason: string };

const refuse = (reason: string): VerifyResult => ({ ok: false, reason });

export function verifyChain(options: VerifyOptions): VerifyResult {
  const now = options.now ?? Date.now();
  const [leaf, ...intermediates] = parseCertificates(options.chainPem);
  const anchors = parseCertificates(options.anchorsPem);
  if (!leaf) return refuse('the chain holds no PEM certificate');
  if (anchors.length === 0) return refuse('no trust anchor given: pass the PEM of the trust anchors (ca.crt)');
  if (leaf.isCA) return refuse(`${leaf.subject} is a CA certificate, not a workload certificate`);
  if (options.name !== undefined && !leaf.dnsNames.some((n) => n.toLowerCase() === options.name!.toLowerCase())) {
    return refuse(`the certificate is for ${leaf.dnsNames.join(', ') || leaf.subject}, not ${options.name}`);
  }
  const path = [leaf];
  // Each round climbs one level; a chain cannot be longer than the certificates we were given.
  for (let level = 0; level <= intermediates.length; level++) {
    const current = path[path.length - 1];
    const timeProblem = validityProblem(current, now);
    if (timeProblem) return refuse(timeProblem);
    const anchor = anchors.find((a) => issued(a, current));
    const next = anchor ?? intermediates.find((c) => !path.includes(c) && issued(c, current));
    if (!next) return refuse(`no trust anchor or intermediate in the chain signed ${current.subject}`);
    const caProblem = signerProblem(next, path.length - 1, now);
    if (caProblem) return refuse(caProblem);
    path.push(next);
    if (anchor) return { ok: true, leaf, path };
  }
  return refuse('the chain does not lead to any of the trust anchors');
}

function issued(issuer: ParsedCertificate, child: ParsedCertificate): boolean {
  return child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.x509.publicKey);
}

function validityProblem(cert: ParsedCertificate, now: number): string | undefined {
  if (isValidAt(cert, now)) return undefined;
  return now < cert.notBefore
    ? `${cert.subject} is not valid before ${new Date(cert.notBefore).toISOString()}`
    : `${cert.subject} expired at ${new Date(cert.notAfter).toISOString()}`;
}

/** `below` counts the intermediates between the signer and the leaf, which its pathLen limits. */
function signerProblem(signer: ParsedCertificate, below: number, now: number): string | undefined {
  if (!signer.isCA) return `${signer.subject} signed a certificate but is not a CA`;
  if (signer.pathLen !== undefined && below > signer.pathLen) {
    return `${signer.subject} may have at most ${signer.pathLen} CA(s) below it, found ${below}`;
  }
  return validityProblem(signer, now);
}
