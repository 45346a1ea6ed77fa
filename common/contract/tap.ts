// Tap as an aggregated API (docs/contract.md "Tap"): the Kubernetes API server's aggregation layer proxies
// `/apis/tap.weft.io/v1alpha1/…` to weft-tap over TLS with its front-proxy client certificate, naming the user in
// request headers; tap trusts those only from a certificate signed by the requestheader CA that Kubernetes
// publishes in kube-system/extension-apiserver-authentication.
import { TAP_API_GROUP } from './annotations';

export const TAP_API_VERSION = 'v1alpha1';
/** The APIService `weft install` registers: `<version>.<group>`. */
export const TAP_API_SERVICE = `${TAP_API_VERSION}.${TAP_API_GROUP}`;
/** Where the API server serves it: every tap path is under this. */
export const TAP_API_PREFIX = `/apis/${TAP_API_GROUP}/${TAP_API_VERSION}`;
/** The Service's port the aggregator calls (→ the tap container's CONTROLLER_TAP_ADDR port). */
export const TAP_SERVICE_PORT = 443;
/** tap's serving certificate (tls.crt, tls.key, ca.crt: the CA the APIService's caBundle holds). */
export const TAP_TLS_SECRET = 'weft-tap-k8s-tls';

/** The ConfigMap kube-apiserver writes for extension API servers, and the built-in Role that may read it. */
export const EXTENSION_APISERVER_AUTHENTICATION = {
  namespace: 'kube-system',
  configMap: 'extension-apiserver-authentication',
  readerRole: 'extension-apiserver-authentication-reader',
} as const;

/** Its keys for the front proxy: a PEM bundle, then JSON arrays of strings (as kube-apiserver writes them). */
export const REQUESTHEADER_KEYS = {
  clientCaFile: 'requestheader-client-ca-file',
  allowedNames: 'requestheader-allowed-names',
  usernameHeaders: 'requestheader-username-headers',
  groupHeaders: 'requestheader-group-headers',
  extraHeadersPrefix: 'requestheader-extra-headers-prefix',
} as const;
