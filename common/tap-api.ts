// proto/tap.proto as TypeScript (the proxy serves it, the tap service calls it), and the HTTP streaming API the
// tap service offers people's CLIs (`weft tap`): the query it takes and the lines it streams back.
import type * as grpc from '@grpc/grpc-js';
import { loadService } from './grpc';

export type TapDirection = 'inbound' | 'outbound';

export interface TapPeer {
  namespace: string;
  services: string[];
  pods: string[];
  identities: string[];
  ips: string[];
}

export interface TapMatch {
  direction: string;
  authority: string;
  method: string;
  pathPrefix: string;
  /** Null on received messages when unset. */
  to: TapPeer | null;
  from: TapPeer | null;
}

export interface ObserveRequest {
  maxRps: number;
  match: TapMatch | null;
}

export interface TapEvent {
  timeMs: number;
  direction: string;
  method: string;
  authority: string;
  path: string;
  status: number;
  /** Absent unless the request is gRPC and got a status. */
  grpcStatus?: number;
  latencyMs: number;
  durationMs: number;
  responseBytes: number;
  tls: boolean;
  noTlsReason: string;
  clientId: string;
  serverId: string;
  proxyError: string;
  targetAddr: string;
  clientAddr: string;
  dstLabels: Record<string, string>;
}

/** Events per second a tap takes when the query names no limit, and the most it may name. */
export const DEFAULT_TAP_MAX_RPS = 100;
export const MAX_TAP_MAX_RPS = 10_000;

export const TapClient: grpc.ServiceClientConstructor = loadService('tap.proto', 'weft.tap.Tap');
export const TAP_SERVICE: grpc.ServiceDefinition = TapClient.service;

// The tap service's HTTP API (docs/contract.md "Tap"): `POST /tap` with a JSON TapQuery; the answer is
// newline-delimited JSON, one TapStreamLine per line, for as long as the caller keeps the request open.
export const TAP_HTTP_PATH = '/tap';

export interface TapQuery {
  /** What to tap: `deploy/web`, `pod/web-0`, `ns/demo`, … (kinds: TAP_RESOURCE_KINDS). */
  resource: string;
  namespace?: string;
  /** Only outbound requests to this resource (`deploy/books`, `svc/books`, `pod/books-0`, `ns/demo`). */
  to?: string;
  toNamespace?: string;
  /** Only inbound requests from this resource. */
  from?: string;
  fromNamespace?: string;
  authority?: string;
  method?: string;
  path?: string;
  /** Events per second from each proxy at most. */
  maxRps?: number;
}

/** An event as the tap service streams it: the proxy's, with the pod whose proxy saw it. */
export interface TapRecord extends TapEvent {
  namespace: string;
  pod: string;
}

/** One line of the stream: an event, or a proxy that could not be tapped (the others go on). */
export type TapStreamLine = { event: TapRecord } | { error: { pod: string; namespace: string; message: string } };
