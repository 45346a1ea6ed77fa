// gRPC proto loading, one way for every service: the .proto files in proto/ are read at run time (they are
// the single source for both sides), with the options every weft service expects of the messages it gets.
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO_ROOT } from './entrypoint';

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false, // camelCase fields in TypeScript
  defaults: true, // absent scalars read as their zero value, absent messages as null
  longs: Number,
  oneofs: true, // a oneof's set member is named in a virtual field (e.g. `update: 'add'`)
};

/**
 * The client constructor of `service` ("weft.destination.Destination") from `proto/<file>`; its `.service`
 * is the definition a server adds.
 */
export function loadService(file: string, service: string): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(path.join(REPO_ROOT, 'proto', file), LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition);
  const found = service.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], loaded);
  if (typeof found !== 'function') throw new Error(`proto/${file} defines no service ${service}`);
  return found as grpc.ServiceClientConstructor;
}
