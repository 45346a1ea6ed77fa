// The objects `weft install` writes that other parts read by name (CONTRACT.md "Install and check").

/** ConfigMap with the trust anchors' PEM bundle: what proxies and the control plane verify certificates against. */
export const TRUST_ROOTS_CONFIG_MAP = 'weft-identity-trust-roots';
export const TRUST_ROOTS_KEY = 'ca-bundle.crt';
/** The issuer's kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt), which cert-manager may own. */
export const ISSUER_SECRET = 'weft-identity-issuer';
/** The injector's serving certificate, a kubernetes.io/tls Secret mounted at its --injector-tls-dir. */
export const INJECTOR_TLS_SECRET = 'weft-proxy-injector-k8s-tls';
