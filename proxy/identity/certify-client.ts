// The proxy's side of `weft.identity.Identity/Certify` (proto/identity.proto): one unary call with the
// token, the identity name and a CSR; the answer is the certificate chain.
import * as grpc from '@grpc/grpc-js';
import { formatHostPort, HostPort } from '../../common/address';
import { loadService } from '../../common/grpc';

export interface CertifyCall {
  identity: string;
  token: Buffer;
  csrDer: Buffer;
}

interface CertifyResponse {
  certificateChainPem: string;
}

type CertifyMethod = (
  request: { identity: string; token: Buffer; certificateSigningRequest: Buffer },
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: CertifyResponse) => void,
) => void;

export class CertifyClient {
  private readonly client: grpc.Client & { Certify: CertifyMethod };
  readonly address: string;

  constructor(addr: HostPort) {
    this.address = formatHostPort(addr);
    const Identity = loadService('identity.proto', 'weft.identity.Identity');
    // Plaintext, as the identity service listens today; the CSR and the chain are public material, the
    // token is the secret, and in a cluster it only proves who asks to this one audience.
    this.client = new Identity(this.address, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Certify: CertifyMethod };
  }

  /** The chain PEM, or an error whose message names the service and the gRPC status. */
  certify(call: CertifyCall, timeoutMs: number): Promise<string> {
    const request = { identity: call.identity, token: call.token, certificateSigningRequest: call.csrDer };
    return new Promise((resolve, reject) => {
      this.client.Certify(request, { deadline: new Date(Date.now() + timeoutMs) }, (err, response) => {
        if (err) reject(new Error(`the identity service at ${this.address} answered ${grpc.status[err.code]}: ${err.details}`));
        else if (!response?.certificateChainPem) reject(new Error(`the identity service at ${this.address} sent no certificate chain`));
        else resolve(response.certificateChainPem);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
