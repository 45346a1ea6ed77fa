// The Secrets, both `kubernetes.io/tls` with `ca.crt` beside the pair (the layout cert-manager writes): the
// issuer the identity role signs with (left out when an external issuer owns it), and the serving certificates of
// the injector and of tap's aggregated API with the CA of their caBundles (kept so `weft upgrade` carries them over).
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { INJECTOR_TLS_SECRET, ISSUER_SECRET, KUBERNETES_TLS_FILES, TAP_TLS_SECRET, TLS_CA_KEY } from '../../common/contract';
import { Component, InstallPlan, metadata } from './plan';

const base64 = (text: string) => Buffer.from(text).toString('base64');

function tlsSecret(name: string, component: Component, pair: { certPem: string; keyPem: string }, caPem: string): ISecret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: metadata(name, component),
    data: { [KUBERNETES_TLS_FILES.cert]: base64(pair.certPem), [KUBERNETES_TLS_FILES.key]: base64(pair.keyPem), [TLS_CA_KEY]: base64(caPem) },
  };
}

export function secrets(plan: InstallPlan): ISecret[] {
  const { issuer, webhook, tap, trustAnchorsPem } = plan.certificates;
  return [
    ...(issuer && !plan.values['identity.externalIssuer'] ? [tlsSecret(ISSUER_SECRET, 'identity', issuer, trustAnchorsPem)] : []),
    tlsSecret(INJECTOR_TLS_SECRET, 'injector', webhook, webhook.caPem),
    tlsSecret(TAP_TLS_SECRET, 'tap', tap, tap.caPem),
  ];
}
