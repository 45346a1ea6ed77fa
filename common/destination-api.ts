// proto/destination.proto as TypeScript: the messages both the controller (server) and the proxy (client)
// handle, as @grpc/proto-loader delivers them (common/grpc.ts options), and the service itself.
import type * as grpc from '@grpc/grpc-js';
import { loadService } from './grpc';

export interface GetDestination {
  path: string;
  contextToken: string;
}

export interface TcpAddress {
  ip: string;
  port: number;
}

export interface WeightedAddr {
  addr: TcpAddress;
  metricLabels: Record<string, string>;
  /** Empty when the pod is not meshed. */
  identity: string;
  /** 'h2' or empty. */
  protocolHint: string;
  opaquePorts: number[];
}

/** Exactly one of add, remove, noEndpoints, notInCluster is set; `update` names it on received messages. */
export interface Update {
  update?: 'add' | 'remove' | 'noEndpoints' | 'notInCluster';
  add?: { addrs: WeightedAddr[] };
  remove?: { addrs: TcpAddress[] };
  noEndpoints?: { exists: boolean };
  notInCluster?: { host: string; port: number };
}

/** An update's kind as metrics label it: add, remove, no_endpoints, not_in_cluster. */
export function updateKind(update: Update): string {
  if (update.add) return 'add';
  if (update.remove) return 'remove';
  if (update.noEndpoints) return 'no_endpoints';
  return 'not_in_cluster';
}

export interface RetryPolicy {
  http: string;
  grpc: string;
  /** Absent when unset. */
  limit?: number;
  /** 0: none. */
  timeoutMs: number;
}

export interface DestinationProfile {
  /** Null on received messages when unset. */
  retry: RetryPolicy | null;
  /** 0: none. */
  timeoutMs: number;
}

export const DestinationClient: grpc.ServiceClientConstructor = loadService('destination.proto', 'weft.destination.Destination');
export const DESTINATION_SERVICE: grpc.ServiceDefinition = DestinationClient.service;
