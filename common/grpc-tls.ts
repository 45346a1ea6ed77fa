// gRPC over TLS to the control plane, as its clients (proxies, and the controller's own roles) make it: the
// server's certificate must chain to the trust anchors and carry the identity name expected of that service,
// whatever host the address names (`weft-dst.weft.svc.cluster.local:8086` serves
// `weft-destination.weft.serviceaccount.identity.weft.cluster.local`).
import * as grpc from '@grpc/grpc-js';
import * as tls from 'node:tls';

export interface ExpectedServer {
  /** The identity name the server's certificate must carry as a DNS SAN; also sent as SNI. */
  name: string;
  /** PEM of the trust anchors (one, or two while an anchor is rotated). */
  trustAnchorsPem: string;
}

export interface TlsChannel {
  credentials: grpc.ChannelCredentials;
  /** Channel options to merge into the client's own. */
  options: grpc.ChannelOptions;
}

/** Only TLS 1.3 on the control plane too: both ends are ours. */
export const CONTROL_PLANE_TLS_VERSION: tls.SecureVersion = 'TLSv1.3';

/** What a client proves itself with when the server asks for a certificate (the proxies' tap port does). */
export interface ClientCertificate {
  keyPem: string;
  chainPem: string;
}

export function tlsChannel(expected: ExpectedServer, client?: ClientCertificate): TlsChannel {
  const checkServerIdentity = (_host: string, cert: tls.PeerCertificate): Error | undefined => {
    if (tls.checkServerIdentity(expected.name, cert) === undefined) return undefined;
    const err = new Error(`the server presented a certificate for ${cert.subjectaltname || cert.subject?.CN || 'no name'}, not ${expected.name}`);
    return Object.assign(err, { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  };
  return {
    credentials: grpc.credentials.createSsl(
      Buffer.from(expected.trustAnchorsPem),
      client ? Buffer.from(client.keyPem) : null,
      client ? Buffer.from(client.chainPem) : null,
      { checkServerIdentity },
    ),
    // The name replaces the address's host both as SNI and in the check above.
    options: { 'grpc.ssl_target_name_override': expected.name },
  };
}

/** OpenSSL's words for a chain that does not lead to the anchors, as grpc-js passes them on in `details`. */
const UNTRUSTED = /unable to get local issuer certificate|unable to verify the first certificate|self[- ]signed certificate|certificate signature failure|certificate has expired|certificate is not yet valid/;
/** What a TLS client sees when the server does not speak TLS at all. */
const NOT_TLS = /wrong version number|packet length too long|Client network socket disconnected before secure TLS connection/;

/**
 * A gRPC failure's details with the likely cause spelled out when it is a TLS problem an operator must fix,
 * for `/ready` and logs. (A certificate for the wrong name already says so: see checkServerIdentity above.)
 */
export function explainTlsFailure(details: string, expected: ExpectedServer): string {
  if (UNTRUSTED.test(details)) return `${details} (the certificate presented for ${expected.name} does not verify against the trust anchors: issued under another trust anchor?)`;
  if (NOT_TLS.test(details)) return `${details} (the server does not speak TLS)`;
  return details;
}
