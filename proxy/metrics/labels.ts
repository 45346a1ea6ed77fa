// Label sets for a target: fixed per (direction, authority, endpoint, peer identity), so they are built once
// and the metric children made from them are cached by whoever holds the target.
import { dstLabel, ENDPOINT_LABELS, TARGET_LABELS, TLS_NO_IDENTITY, TLS_TRUE } from '../../common/contract';
import type { Endpoint } from '../discovery/types';

export type Direction = 'inbound' | 'outbound';
export type TargetLabels = Partial<Record<(typeof TARGET_LABELS)[number], string>>;

/** Why a connection is not mTLS (`no_tls_reason`), as Linkerd names the same cases. */
export const NO_TLS_REASON = {
  /** Outbound: discovery gave the endpoint no identity (not a meshed peer). */
  notProvidedByDiscovery: 'not_provided_by_service_discovery',
  /** Inbound: the client spoke plaintext (outside the mesh). */
  fromRemote: 'no_tls_from_remote',
  /** TLS for a name other than ours, passed through to the app untouched. */
  passthru: 'passthru',
  /** This proxy runs with WEFT_PROXY_IDENTITY_DISABLED. */
  disabled: 'disabled',
  /** Inbound to the app in the same pod: never TLS. */
  loopback: 'loopback',
} as const;
export type NoTlsReason = (typeof NO_TLS_REASON)[keyof typeof NO_TLS_REASON];

/** The tls / client_id / server_id / no_tls_reason part of a label set. */
export type TlsLabels = { tls: typeof TLS_TRUE; client_id?: string; server_id?: string } | { tls: typeof TLS_NO_IDENTITY; no_tls_reason: NoTlsReason };

export const noTls = (reason: NoTlsReason): TlsLabels => ({ tls: TLS_NO_IDENTITY, no_tls_reason: reason });

/** Outbound to `endpoint`: mTLS when it has an identity and this proxy has one to present. */
export function outboundTls(endpoint: Endpoint | undefined, mtls: boolean): TlsLabels {
  if (endpoint?.identity === undefined) return noTls(NO_TLS_REASON.notProvidedByDiscovery);
  return mtls ? { tls: TLS_TRUE, server_id: endpoint.identity } : noTls(NO_TLS_REASON.disabled);
}

export function outboundLabels(authority: string, endpoint: Endpoint | undefined, mtls = false): TargetLabels {
  const labels: TargetLabels = { direction: 'outbound', authority, ...outboundTls(endpoint, mtls) };
  if (!endpoint) return labels;
  labels.target_addr = endpoint.key;
  return Object.assign(labels, dstLabels(endpoint));
}

/** What discovery says of `endpoint` as dst_* labels: only the names the contract knows, so the set stays bounded. */
export function dstLabels(endpoint: Endpoint): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const name of ENDPOINT_LABELS) if (endpoint.labels[name]) labels[dstLabel(name)] = endpoint.labels[name];
  return labels;
}

/** Inbound: `tls` says how the caller connected; a verified caller is named by `client_id`. */
export function inboundLabels(authority: string, app: Endpoint | undefined, tls: TlsLabels = noTls(NO_TLS_REASON.fromRemote)): TargetLabels {
  return { direction: 'inbound', authority, target_addr: app?.key ?? '', ...tls };
}
