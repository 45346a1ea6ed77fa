// grpc-js server credentials that follow a renewed certificate: every new one is handed to the servers using
// them (http2 `setSecureContext`), so new handshakes get it while established connections keep theirs.
import * as grpc from '@grpc/grpc-js';
import { CONTROL_PLANE_TLS_VERSION } from '../../common/grpc-tls';
import type { Credentials } from '../../proxy/identity/credentials';
import type { LocalIdentity } from '../../proxy/identity/local-identity';

export class RenewingServerCredentials extends grpc.ServerCredentials {
  /** `identity` must hold its certificate already: a server is never started without one. */
  constructor(identity: LocalIdentity) {
    const current = identity.current();
    if (!current) throw new Error(`no certificate for ${identity.name} yet: wait for it before serving`);
    // No client certificate is asked for: a proxy's first Certify comes before it has one.
    super({ minVersion: CONTROL_PLANE_TLS_VERSION }, contextOf(current));
    identity.onChange((credentials) => this.updateSecureContextOptions(contextOf(credentials)));
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

function contextOf(credentials: Credentials) {
  return { key: credentials.options.key, cert: credentials.options.cert };
}
