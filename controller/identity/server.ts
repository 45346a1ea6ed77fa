// The identity gRPC server: `weft.identity.Identity/Certify` on the given address, always over TLS with its
// own certificate (`weft-identity`…), since every request carries a service-account token.
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { assertCanSign } from '../../certs';
import type { HostPort } from '../../common/address';
import { Logger } from '../../common/log';
import { ControlPlaneTlsMetrics, controlPlaneTlsMetrics } from '../tls/metrics';
import { serveGrpc } from '../tls/serve';
import { firstCertificate } from '../tls/serving-identity';
import { certify, CertifyDeps, CertifyRefusal } from './certify';
import { issuerSignedIdentity } from './issuer-signed';
import type { IdentityServiceMetrics } from './metrics';
import { CertifyRequest, CertifyResponse, IDENTITY_SERVICE } from './proto';

export interface IdentityServerOptions extends CertifyDeps {
  /** Port 0 picks a free one (read it back from `port`). */
  addr: HostPort;
  /** What the server's own certificate (signed by the issuer) is checked against, as any leaf is. */
  trustAnchorsPem: string;
  log: Logger;
  metrics?: IdentityServiceMetrics;
  tlsMetrics?: ControlPlaneTlsMetrics;
}

export interface IdentityServer {
  port: number;
  /** The name its certificate carries: what clients must expect. */
  name: string;
  /** Signs the server's own certificate again now (the issuer changed). */
  renewServingCertificate(): void;
  close(): Promise<void>;
}

export async function startIdentityServer(options: IdentityServerOptions): Promise<IdentityServer> {
  const { log, metrics } = options;
  const tlsMetrics = options.tlsMetrics ?? controlPlaneTlsMetrics(new Registry());
  // It signs its own certificate: with an issuer that cannot sign there is nothing to serve TLS with, and
  // waiting would only hide why (this error stops the controller and names the fix).
  assertCanSign(options.issuer(), options.clock.now());
  const serving = issuerSignedIdentity({ ...options, metrics: tlsMetrics.certificate('identity') });
  await firstCertificate(serving);
  const server = new grpc.Server();
  server.addService(IDENTITY_SERVICE, {
    Certify: (
      call: grpc.ServerUnaryCall<CertifyRequest, CertifyResponse>,
      callback: grpc.sendUnaryData<CertifyResponse>,
    ) => {
      certify(call.request, options).then(
        (response) => {
          metrics?.issued.inc();
          callback(null, response);
        },
        (err: unknown) => {
          metrics?.refused.inc({ reason: err instanceof CertifyRefusal ? grpc.status[err.code].toLowerCase() : 'internal' });
          if (err instanceof CertifyRefusal) {
            // An expired issuer refuses every proxy: that is the operator's problem to fix now, not the caller's.
            const level = err.code === grpc.status.FAILED_PRECONDITION ? 'error' : 'info';
            log[level]({ identity: call.request.identity, code: grpc.status[err.code], reason: err.message }, 'certify refused');
            callback({ code: err.code, details: err.message });
            return;
          }
          log.error({ identity: call.request.identity, error: (err as Error).message }, 'certify failed');
          callback({ code: grpc.status.INTERNAL, details: `the identity service failed: ${(err as Error).message}` });
        },
      );
    },
  });
  const listening = await serveGrpc(server, { addr: options.addr, transport: { kind: 'tls', identity: serving }, service: 'identity', log, metrics: tlsMetrics }).catch((err: Error) => {
    serving.close();
    throw err;
  });
  return {
    port: listening.port,
    name: serving.name,
    renewServingCertificate: () => serving.renewNow(),
    close: () =>
      new Promise<void>((resolve) => {
        listening.close();
        // Give calls in flight a moment to finish, then cut whatever remains.
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          serving.close();
          resolve();
        });
      }),
  };
}
