// What the proxy proves itself with: its private key, the chain the identity service signed for it, and
// the trust anchors it checks peers against, ready as one TLS context for both directions.
import * as tls from 'node:tls';
import { parseCertificates, verifyChain } from '../../certs';

export interface Credentials {
  /** The proxy's identity name, the leaf's DNS SAN. */
  readonly name: string;
  readonly chainPem: string;
  readonly notAfter: number;
  /** key + chain + anchors, TLS 1.3 only: what both the client and the server side of mTLS use. */
  readonly options: tls.SecureContextOptions;
  readonly context: tls.SecureContext;
}

/** Only TLS 1.3 between proxies (CONTRACT.md); Node's default would still allow 1.2. */
export const TLS_VERSION: tls.SecureVersion = 'TLSv1.3';

/**
 * Checks a chain from the identity service before the proxy relies on it: it must lead to our trust
 * anchors, name us, and certify our own key. Throws with the reason otherwise.
 */
export function credentialsFrom(name: string, privateKeyPem: string, publicKeyPem: string, chainPem: string, anchorsPem: string, now: number): Credentials {
  const verified = verifyChain({ chainPem, anchorsPem, name, now });
  if (!verified.ok) throw new Error(`the identity service sent a certificate this proxy cannot use: ${verified.reason}`);
  const [leaf] = parseCertificates(chainPem);
  if (leaf.x509.publicKey.export({ type: 'spki', format: 'pem' }) !== publicKeyPem) {
    throw new Error('the identity service sent a certificate for another key than this proxy\'s');
  }
  const options: tls.SecureContextOptions = { key: privateKeyPem, cert: chainPem, ca: anchorsPem, minVersion: TLS_VERSION };
  return { name, chainPem, notAfter: verified.leaf.notAfter, options, context: tls.createSecureContext(options) };
}
