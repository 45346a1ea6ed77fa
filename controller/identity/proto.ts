// proto/identity.proto, loaded once; the types mirror its messages as @grpc/proto-loader delivers them.
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO_ROOT } from '../../common/entrypoint';

export interface CertifyRequest {
  identity: string;
  token: Buffer;
  certificateSigningRequest: Buffer;
}

export interface Timestamp {
  seconds: number;
  nanos: number;
}

export interface CertifyResponse {
  certificateChainPem: string;
  validUntil: Timestamp;
}

const definition = protoLoader.loadSync(path.join(REPO_ROOT, 'proto', 'identity.proto'), {
  keepCase: false,
  defaults: true,
  longs: Number, // seconds since the epoch fit a double for the next few million years
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  weft: { identity: { Identity: grpc.ServiceClientConstructor } };
};

/** The generated client constructor: `new IdentityClient('127.0.0.1:8080', credentials)`. */
export const IdentityClient = loaded.weft.identity.Identity;
export const IDENTITY_SERVICE: grpc.ServiceDefinition = IdentityClient.service;
