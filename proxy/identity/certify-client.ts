// The workload's side of `weft.identity.Identity/Certify` (proto/identity.proto): one unary call with the
// service-account token, the identity name and a CSR; the answer is the certificate chain. Always over TLS,
// with the identity service's certificate checked against the trust anchors for the name it must carry: the
// token is a secret. The first call happens before the caller has a certificate of its own, so it is
// server-authenticated TLS, not mTLS. The controller's own roles use this client too (architecture.test.ts).
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { formatHostPort, HostPort } from '../../common/address';
import { loadService } from '../../common/grpc';
import { ExpectedServer, explainTlsFailure, tlsChannel } from '../../common/grpc-tls';

export interface CertifyCall {
  identity: string;
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

/** Where a workload's certificate comes from: this client, or (in the identity role) the issuer itself. */
export interface CertificateSource {
  /** Named in logs and `/ready`. */
  readonly address: string;
  /** The chain PEM for the CSR, or an error whose message says what went wrong. */
  certify(call: CertifyCall, timeoutMs: number): Promise<string>;
  close(): void;
}

export interface CertifyClientOptions {
  addr: HostPort;
  /** The identity service's name and the anchors its certificate must chain to. */
  server: ExpectedServer;
  /** The service-account token, read again for every call: the kubelet rotates projected tokens. */
  tokenFile: string;
}

export class CertifyClient implements CertificateSource {
  private readonly client: grpc.Client & { Certify: CertifyMethod };
  readonly address: string;

  constructor(private readonly options: CertifyClientOptions) {
    this.address = formatHostPort(options.addr);
    const Identity = loadService('identity.proto', 'weft.identity.Identity');
    const channel = tlsChannel(options.server);
    this.client = new Identity(this.address, channel.credentials, channel.options) as unknown as grpc.Client & { Certify: CertifyMethod };
  }

  async certify(call: CertifyCall, timeoutMs: number): Promise<string> {
    const token = await fs.promises.readFile(this.options.tokenFile).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read the service-account token ${this.options.tokenFile} (${err.code ?? err.message})`);
    });
    const request = { identity: call.identity, token, certificateSigningRequest: call.csrDer };
    return new Promise((resolve, reject) => {
      this.client.Certify(request, { deadline: new Date(Date.now() + timeoutMs) }, (err, response) => {
        const service = `the identity service at ${this.address}`;
        if (err) reject(new Error(`${service} answered ${grpc.status[err.code]}: ${explainTlsFailure(err.details, this.options.server)}`));
        else if (!response?.certificateChainPem) reject(new Error(`${service} sent no certificate chain`));
        else resolve(response.certificateChainPem);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
