// The injector's serving certificate: the Kubernetes API server calls the webhook at
// `weft-proxy-injector.<ns>.svc` and trusts only the caBundle of the webhook configuration, so `weft install` makes
// a CA of the injector's own (not the mesh's trust anchor: the API server is no mesh peer) and a leaf for that name.
import { serviceServerName, serviceServingCertificate, ServingCertificate } from '../certs';
import { CONTROL_PLANE_NAMESPACE, INJECTOR_SERVICE } from '../common/contract';

/** The name the API server verifies the injector's certificate against (the Service's in-cluster DNS name). */
export function injectorServerName(controlPlaneNamespace = CONTROL_PLANE_NAMESPACE): string {
  return serviceServerName(INJECTOR_SERVICE, controlPlaneNamespace);
}

export interface InjectorCertificateOptions {
  controlPlaneNamespace?: string;
  /** Default one year. */
  validityMs?: number;
  now?: number;
}

/** A fresh CA (for the caBundle) and the leaf for the injector Service (for its kubernetes.io/tls Secret). */
export function injectorServingCertificate(options: InjectorCertificateOptions = {}): ServingCertificate {
  return serviceServingCertificate({ service: INJECTOR_SERVICE, namespace: options.controlPlaneNamespace ?? CONTROL_PLANE_NAMESPACE, validityMs: options.validityMs, now: options.now });
}
