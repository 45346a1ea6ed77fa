// `GET /identity` on the admin port (for `weft identity POD`): the proxy's identity name, its certificate chain
// and when it expires. Public material only: the chain as served in every TLS handshake, never the key.
import type { CertificateSummary } from '../../certs';
import { AdminRoute, sendText } from '../../common/admin-server';
import type { LocalIdentity } from './local-identity';

export const IDENTITY_ROUTE = '/identity';

/** What the route answers (JSON), and what `weft identity` reads. */
export interface IdentityDocument {
  name: string;
  notAfter: string;
  /** Leaf first, then the issuer: the PEM the proxy presents to its peers. */
  chainPem: string;
  certificates: CertificateSummary[];
  trustAnchors: CertificateSummary[];
}

export function identityRoute(identity: LocalIdentity | undefined): AdminRoute {
  return {
    method: 'GET',
    handle: (_req, res) => {
      if (!identity) return sendText(res, 404, 'this proxy runs without identity (WEFT_PROXY_IDENTITY_DISABLED): it has no certificate\n');
      const current = identity.current();
      if (!current) return sendText(res, 503, `${identity.notReadyReason() ?? 'no certificate yet'}\n`);
      // Loaded on first use: X.509 parsing is memory a proxy with identity disabled never needs.
      const { summarizeCertificates } = require('../../certs') as typeof import('../../certs');
      const document: IdentityDocument = {
        name: current.name,
        notAfter: new Date(current.notAfter).toISOString(),
        chainPem: current.chainPem,
        certificates: summarizeCertificates(current.chainPem),
        trustAnchors: summarizeCertificates(identity.trustAnchorsPem),
      };
      sendText(res, 200, `${JSON.stringify(document, null, 2)}\n`, 'application/json');
    },
  };
}
