// What `weft install` creates and `weft upgrade`, `weft uninstall` and `weft check` find again
// (CONTRACT.md "Install and check").

/** The mesh's trust anchors as proxies and the control plane read them. */
export const TRUST_ROOTS_CONFIG_MAP = 'weft-identity-trust-roots';
export const TRUST_ROOTS_KEY = 'ca-bundle.crt';
/** The issuer as a kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt), so cert-manager can own it. */
export const ISSUER_SECRET = 'weft-identity-issuer';
/** The injector's serving certificate (tls.crt, tls.key, and ca.crt: the CA the webhook's caBundle holds). */
export const INJECTOR_TLS_SECRET = 'weft-proxy-injector-k8s-tls';
/** The `ca.crt` key both Secrets carry beside tls.crt and tls.key. */
export const TLS_CA_KEY = 'ca.crt';

/** Beyond CONTRACT.md: the install values `weft install` was given, kept in `weft-config` for `weft upgrade`. */
export const INSTALL_VALUES_KEY = 'values.yaml';

/** On every object install emits (with CONTROL_PLANE_NS_LABEL): which part of the control plane it is. */
export const CONTROL_PLANE_COMPONENT_LABEL = 'weft.io/control-plane-component';

export const DEFAULT_CONTROLLER_IMAGE = 'ghcr.io/weft/controller';
/** The controller image's user (Dockerfile.controller): not root, not the proxy's UID. */
export const CONTROLLER_UID = 2103;
