// Originating mTLS to a peer proxy (CONTRACT.md "Identity and mTLS"): TLS 1.3, SNI = the identity discovery
// gave the endpoint, our own certificate presented, and the server's chain checked against the trust
// anchors AND for that identity name. Anything else fails the connection with a reason that says which.
import * as tls from 'node:tls';
import type { HostPort } from '../../common/address';

/** What the connector needs of the proxy's identity: the TLS context in force, or why there is none. */
export interface TlsIdentitySource {
  current(): { context: tls.SecureContext } | undefined;
  notReadyReason(): string | undefined;
}

/** Thrown synchronously when the proxy holds no certificate yet: there is nothing to present. */
export class NoLocalIdentityError extends Error {
  override name = 'NoLocalIdentityError';
  readonly code = 'ERR_WEFT_NO_IDENTITY';
}

// Codes Node and OpenSSL give handshake and verification failures, plus our own checks below.
const TLS_ERROR_CODE = /^(ERR_SSL_|ERR_TLS_|ERR_WEFT_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|INVALID_CA|PATH_LENGTH)/;

/** True for an error that a TLS handshake or certificate check raised (as opposed to a TCP failure). */
export function isTlsError(err: { code?: string } | undefined): boolean {
  return typeof err?.code === 'string' && TLS_ERROR_CODE.test(err.code);
}

/** One line for people: OpenSSL's own messages carry source paths and hex codes, its `reason` does not. */
export function describeTlsError(err: Error & { code?: string; reason?: string }): string {
  if (err.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || err.code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return `the endpoint did not answer in TLS (${err.reason}); is it a weft proxy with identity, as discovery says?`;
  }
  return typeof err.reason === 'string' && err.code?.startsWith('ERR_SSL_') ? err.reason : err.message;
}

export class MtlsConnector {
  constructor(private readonly identity: TlsIdentitySource) {}

  /**
   * Starts TCP + TLS to `addr` and returns the socket at once (HTTP/2 sessions want it synchronously);
   * it emits 'secureConnect' once the peer proved `serverId`, or 'error'.
   */
  open(addr: HostPort, serverId: string, alpn: string): tls.TLSSocket {
    const credentials = this.identity.current();
    if (!credentials) throw new NoLocalIdentityError(`cannot originate mTLS to ${serverId}: ${this.identity.notReadyReason()}`);
    const socket = tls.connect({
      host: addr.host,
      port: addr.port,
      servername: serverId,
      secureContext: credentials.context,
      ALPNProtocols: [alpn],
      rejectUnauthorized: true,
      checkServerIdentity: (_host, cert) => checkPeerIdentity(serverId, cert),
    });
    socket.setNoDelay(true);
    socket.once('secureConnect', () => {
      // A TLS server that is not a weft proxy may finish the handshake without agreeing on our protocol.
      if (socket.alpnProtocol !== alpn) {
        socket.destroy(Object.assign(new Error(`the peer does not speak ${alpn} (ALPN ${socket.alpnProtocol || 'none'}); is it a weft proxy?`), { code: 'ERR_WEFT_ALPN' }));
      }
    });
    return socket;
  }

  /** `open`, resolved once the handshake is done and the peer verified, within `timeoutMs`. */
  connect(addr: HostPort, serverId: string, alpn: string, timeoutMs: number): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      let socket: tls.TLSSocket;
      try {
        socket = this.open(addr, serverId, alpn);
      } catch (err) {
        return reject(err);
      }
      const timer = setTimeout(
        () => socket.destroy(Object.assign(new Error(`connect and TLS handshake timed out after ${timeoutMs}ms`), { code: 'ETIMEDOUT' })),
        timeoutMs,
      );
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        if (socket.destroyed) return; // the ALPN check refused it; 'error' follows
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }
}

/** The peer's certificate chained to our anchors (Node checked that); it must also name `serverId`. */
export function checkPeerIdentity(serverId: string, cert: tls.PeerCertificate): Error | undefined {
  const names = dnsNamesOf(cert);
  if (names.some((n) => n.toLowerCase() === serverId.toLowerCase())) return undefined;
  return Object.assign(new Error(`the peer proved identity ${names.join(', ') || cert.subject?.CN || '(none)'}, not ${serverId}`), {
    code: 'ERR_WEFT_PEER_IDENTITY',
  });
}

/** DNS SANs of a peer certificate: weft identity names live there (the URI SAN is the SPIFFE ID). */
export function dnsNamesOf(cert: tls.PeerCertificate): string[] {
  return (cert.subjectaltname ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
}
