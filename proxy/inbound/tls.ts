// The first inbound decision when the proxy has an identity: is this connection mTLS for us, TLS for
// someone else, or plaintext? A ClientHello with SNI = our identity is terminated here (the client must
// present a certificate from our trust anchors); TLS for another name is passed through to the app as
// opaque bytes, as Linkerd does, so apps that terminate their own TLS keep working; plaintext from
// outside the mesh is served as before. A ClientHello that does not parse is refused and logged.
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import type { Logger } from '../../common/log';
import type { LocalIdentity } from '../identity/local-identity';
import { NO_TLS_REASON, noTls, NoTlsReason, TlsLabels } from '../metrics/labels';
import type { ProxyRegistry } from '../metrics/registry';
import { trackConnection } from '../metrics/tcp';
import { connectionGuard, FaultReporter, Guard } from '../transport/guard';
import { MtlsAcceptor } from '../transport/tls-accept';
import type { ClientHello } from '../transport/client-hello';
import { detectTls } from '../transport/tls-detect';

export interface InboundTlsRoutes {
  /** Not mTLS for us: plaintext from outside the mesh, or TLS for another name passed through (`passthru`). */
  plain(socket: net.Socket, reason: NoTlsReason): void;
  /** mTLS terminated; `socket` carries the decrypted stream from a client that proved `clientId`. */
  terminated(socket: tls.TLSSocket, raw: net.Socket, clientId: string): void;
}

export class InboundTls {
  private readonly acceptor: MtlsAcceptor;
  private acceptorContext?: tls.SecureContextOptions;
  /**
   * Raw sockets in their handshake, by peer address: tls.Server hands back only the TLS socket, and the
   * original destination can be read from the raw one only (a TLS socket has no file descriptor).
   */
  private readonly handshaking = new Map<string, net.Socket>();

  constructor(
    private readonly identity: LocalIdentity,
    private readonly detectTimeoutMs: number,
    private readonly registry: ProxyRegistry,
    private readonly log: Logger,
    faults: FaultReporter,
    private readonly routes: InboundTlsRoutes,
  ) {
    // tls.Server calls these from its own events: each runs in the new TLS connection's guard.
    this.acceptor = new MtlsAcceptor({}, detectTimeoutMs, {
      secure: (socket, clientId) =>
        connectionGuard(socket, faults).run(() => {
          const raw = this.handshaking.get(peerKey(socket));
          this.handshaking.delete(peerKey(socket));
          this.track(socket, { tls: 'true', client_id: clientId });
          if (raw) routes.terminated(socket, raw, clientId);
          else socket.destroy(); // the raw connection closed during the handshake
        }),
      refused: (socket, reason, code) =>
        connectionGuard(socket, faults).run(() => {
          this.handshaking.delete(peerKey(socket));
          this.log.warn({ client: socket.remoteAddress, reason, code }, 'inbound mTLS handshake refused');
          this.track(socket, noTls(NO_TLS_REASON.fromRemote), code);
        }),
    });
    identity.onChange((credentials) => this.acceptor.setContext((this.acceptorContext = credentials.options)));
    const current = identity.current();
    if (current) this.acceptor.setContext((this.acceptorContext = current.options));
  }

  /** Runs in the connection's guard, as do the callbacks it makes. */
  onConnection(socket: net.Socket, guard: Guard): void {
    socket.on('error', () => {}); // whoever owns the socket next reports failures; an early reset just closes
    void detectTls(socket, this.detectTimeoutMs, guard).then(guard.wrap((hello: ClientHello | undefined) => {
      if (hello === undefined) return void socket.destroy();
      switch (hello.kind) {
        case 'not-tls':
          return this.routes.plain(socket, NO_TLS_REASON.fromRemote);
        case 'client-hello':
          if (hello.serverName?.toLowerCase() !== this.identity.name.toLowerCase()) return this.routes.plain(socket, NO_TLS_REASON.passthru);
          return this.terminate(socket);
        default:
          this.log.warn({ client: socket.remoteAddress, reason: hello.kind === 'malformed' ? hello.reason : hello.kind }, 'inbound connection refused: malformed TLS ClientHello');
          this.track(socket, noTls(NO_TLS_REASON.fromRemote), 'malformed_client_hello');
          socket.destroy();
      }
    }));
  }

  private terminate(socket: net.Socket): void {
    if (!this.identity.current() || !this.acceptorContext) {
      this.log.warn({ client: socket.remoteAddress, reason: this.identity.notReadyReason() }, 'inbound mTLS refused: this proxy has no valid certificate');
      this.track(socket, noTls(NO_TLS_REASON.fromRemote), 'no_local_identity');
      return void socket.destroy();
    }
    const key = peerKey(socket);
    this.handshaking.set(key, socket);
    socket.once('close', () => {
      if (this.handshaking.get(key) === socket) this.handshaking.delete(key);
    });
    this.acceptor.terminate(socket);
  }

  private track(socket: net.Socket, tlsLabels: TlsLabels, failure?: string): void {
    trackConnection(this.registry, socket, { direction: 'inbound', peer: 'src', ...tlsLabels }, failure);
  }
}

const peerKey = (socket: net.Socket): string => `${socket.remoteAddress}|${socket.remotePort}`;
