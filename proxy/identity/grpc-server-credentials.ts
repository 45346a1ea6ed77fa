// grpc-js server credentials that follow a renewed certificate: every new one is handed to the servers using
// them (http2 `setSecureContext`), so new handshakes get it while established connections keep theirs. Used by
// the control plane's servers (which take any client: a proxy's first Certify comes before it has a
// certificate) and by the proxy's tap server (which takes only clients whose certificate chains to the trust
// anchors; who they are is checked per call).
import * as grpc from '@grpc/grpc-js';
import { CONTROL_PLANE_TLS_VERSION } from '../../common/grpc-tls';
import type { Credentials } from './credentials';
import type { LocalIdentity } from './local-identity';

export interface ClientCertificates {
  /** Refuse the handshake unless the client presents a certificate that chains to the trust anchors. */
  required: boolean;
}

export class RenewingServerCredentials extends grpc.ServerCredentials {
  /** `identity` must hold its certificate already: a server is never started without one. */
  constructor(identity: LocalIdentity, clients: ClientCertificates = { required: false }) {
    const current = identity.current();
    if (!current) throw new Error(`no certificate for ${identity.name} yet: wait for it before serving`);
    const verify = clients.required ? { requestCert: true, rejectUnauthorized: true } : {};
    super({ minVersion: CONTROL_PLANE_TLS_VERSION, ...verify }, contextOf(current, clients.required));
    identity.onChange((credentials) => this.updateSecureContextOptions(contextOf(credentials, clients.required)));
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

function contextOf(credentials: Credentials, withAnchors: boolean) {
  return withAnchors ? { key: credentials.options.key, cert: credentials.options.cert, ca: credentials.options.ca } : { key: credentials.options.key, cert: credentials.options.cert };
}
