// Terminating mTLS on the inbound side: a ClientHello whose SNI is our own identity is handed to one
// tls.Server holding our certificate. The client must present a certificate that chains to the trust
// anchors; its DNS name becomes the connection's client identity (`client_id`).
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { OPAQUE_TRANSPORT_ALPN } from '../../common/contract';
import { dnsNamesOf } from './tls-connect';

/** What we offer, in our order of preference: h2 between proxies, opaque transport, then HTTP/1.1 (Upgrade). */
export const INBOUND_ALPN = ['h2', OPAQUE_TRANSPORT_ALPN, 'http/1.1'];

export interface MtlsAcceptHandlers {
  /** The handshake succeeded and the client proved `clientId`. */
  secure(socket: tls.TLSSocket, clientId: string): void;
  /** The handshake failed, or the client's certificate was refused; the socket is being destroyed. */
  refused(socket: tls.TLSSocket, reason: string, code: string): void;
}

export class MtlsAcceptor {
  private readonly server: tls.Server;

  constructor(contextOptions: tls.SecureContextOptions, handshakeTimeoutMs: number, handlers: MtlsAcceptHandlers) {
    this.server = tls.createServer({
      ...contextOptions,
      requestCert: true,
      // Verification failures are judged below rather than by Node, which would close the socket silently:
      // this way the reason is logged and counted.
      rejectUnauthorized: false,
      ALPNProtocols: INBOUND_ALPN,
      handshakeTimeout: handshakeTimeoutMs,
    });
    this.server.on('secureConnection', (socket: tls.TLSSocket) => {
      const refusal = clientRefusal(socket);
      if (refusal) {
        handlers.refused(socket, refusal.reason, refusal.code);
        socket.destroy();
        return;
      }
      handlers.secure(socket, dnsNamesOf(socket.getPeerCertificate())[0]);
    });
    this.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      handlers.refused(socket, err.message, err.code ?? 'ERR_TLS_HANDSHAKE');
      socket.destroy();
    });
  }

  /** A new certificate: handshakes from now on use it, connections already up keep theirs. */
  setContext(contextOptions: tls.SecureContextOptions): void {
    this.server.setSecureContext(contextOptions);
  }

  /** `socket` has a ClientHello for us waiting in it (put back by detection). */
  terminate(socket: net.Socket): void {
    this.server.emit('connection', socket);
  }
}

function clientRefusal(socket: tls.TLSSocket): { reason: string; code: string } | undefined {
  if (!socket.authorized) {
    const code = String(socket.authorizationError ?? 'UNAUTHORIZED');
    const cert = socket.getPeerCertificate();
    const who = cert && Object.keys(cert).length > 0 ? ` for ${dnsNamesOf(cert).join(', ') || cert.subject?.CN}` : '';
    return { code, reason: `the client certificate${who} does not verify against the trust anchors (${code})` };
  }
  if (dnsNamesOf(socket.getPeerCertificate()).length === 0) {
    return { code: 'ERR_WEFT_NO_CLIENT_IDENTITY', reason: 'the client certificate names no identity (no DNS SAN)' };
  }
  return undefined;
}
