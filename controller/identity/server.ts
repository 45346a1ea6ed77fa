// The identity gRPC server: `weft.identity.Identity/Certify` on the given address.
import * as grpc from '@grpc/grpc-js';
import { Logger } from '../../common/log';
import { certify, CertifyDeps, CertifyRefusal } from './certify';
import type { IdentityServiceMetrics } from './metrics';
import { CertifyRequest, CertifyResponse, IDENTITY_SERVICE } from './proto';

export interface IdentityServerOptions extends CertifyDeps {
  /** host:port; port 0 picks a free one (read it back from `port`). */
  address: string;
  log: Logger;
  metrics?: IdentityServiceMetrics;
}

export interface IdentityServer {
  port: number;
  close(): Promise<void>;
}

export async function startIdentityServer(options: IdentityServerOptions): Promise<IdentityServer> {
  const { log, metrics } = options;
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
  // Plaintext: the local controller listens on loopback only. TLS for in-cluster use is still to come.
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.address, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Give calls in flight a moment to finish, then cut whatever remains.
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
