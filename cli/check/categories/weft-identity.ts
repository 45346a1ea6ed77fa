// weft-identity: the trust anchors and the issuer that signs every proxy's certificate. Certificate expiry is the
// outage Linkerd users meet most (linkerd2#3452, #9256): both get the validity and 60-day checks, the issuer is
// checked against the anchors, and the anchors the injector hands proxies must be the current bundle.
import { CHECK_CATEGORIES, ISSUER_SECRET, MESH_CONFIG_MAP, TRUST_ROOTS_CONFIG_MAP } from '../../../common/contract';
import { parseCertificates } from '../../../certs';
import { certificateChecks } from '../certificate-checks';
import { issuer, meshConfig, trustAnchors } from '../cluster';
import type { Category } from '../types';
import { CheckFailure } from '../types';

const ANCHOR_HINT = `rotate the trust anchors (weft certs anchor; a two-anchor bundle in ${TRUST_ROOTS_CONFIG_MAP} during the change), then re-issue the issuer`;
const ISSUER_HINT = `issue a new issuer from the trust anchor (weft certs issuer --ca DIR --out DIR) and put it in Secret ${ISSUER_SECRET}`;

const derSet = (pem: string) => new Set(parseCertificates(pem).map((c) => c.x509.raw.toString('base64')));

export const weftIdentity: Category = {
  name: CHECK_CATEGORIES.weftIdentity,
  checks: [
    {
      description: 'certificate config is valid',
      hint: ISSUER_HINT,
      fatal: true,
      run: async (ctx) => {
        await trustAnchors(ctx);
        await issuer(ctx);
      },
    },
    ...certificateChecks({ what: 'trust anchors', plural: true, replaceHint: ANCHOR_HINT }, trustAnchors),
    ...certificateChecks({ what: 'issuer certificate', replaceHint: ISSUER_HINT }, async (ctx) => [(await issuer(ctx)).cert]),
    {
      description: 'issuer certificate is issued by the trust anchor',
      hint: ISSUER_HINT,
      run: async (ctx) => {
        const [{ cert }, anchors] = await Promise.all([issuer(ctx), trustAnchors(ctx)]);
        const signer = anchors.find((a) => cert.x509.checkIssued(a.x509) && cert.x509.verify(a.x509.publicKey));
        if (!signer) {
          throw new CheckFailure(`${cert.subject} (issued by ${cert.issuer}) is not signed by any of the trust anchors (${anchors.map((a) => a.subject).join(', ')})`);
        }
      },
    },
    {
      description: `'${MESH_CONFIG_MAP}' gives proxies the current trust anchors`,
      hint: `make ${MESH_CONFIG_MAP}'s trustAnchorsPem and ${TRUST_ROOTS_CONFIG_MAP} the same bundle (weft upgrade | kubectl apply -f -)`,
      run: async (ctx) => {
        const [mesh, anchors] = await Promise.all([meshConfig(ctx), trustAnchors(ctx)]);
        const given = derSet(mesh.trustAnchorsPem);
        const current = new Set(anchors.map((a) => a.x509.raw.toString('base64')));
        const same = given.size === current.size && [...given].every((d) => current.has(d));
        if (!same) throw new CheckFailure(`${MESH_CONFIG_MAP} holds ${given.size} trust anchor(s) that differ from the ${current.size} in ${TRUST_ROOTS_CONFIG_MAP}`);
      },
    },
  ],
};
