// Label sets for a target: fixed per (direction, authority, endpoint), so they are built once and the
// metric children made from them are cached by whoever holds the target.
import { TARGET_LABELS, TLS_NO_IDENTITY } from '../../common/contract';
import type { Endpoint } from '../discovery/types';

export type Direction = 'inbound' | 'outbound';
export type TargetLabels = Partial<Record<(typeof TARGET_LABELS)[number], string>>;

export function outboundLabels(authority: string, endpoint: Endpoint | undefined): TargetLabels {
  const labels: TargetLabels = { direction: 'outbound', authority, tls: TLS_NO_IDENTITY, no_tls_reason: 'not_provided_by_service_discovery' };
  if (!endpoint) return labels;
  labels.target_addr = endpoint.key;
  if (endpoint.labels.namespace) labels.dst_namespace = endpoint.labels.namespace;
  if (endpoint.labels.service) labels.dst_service = endpoint.labels.service;
  if (endpoint.labels.pod) labels.dst_pod = endpoint.labels.pod;
  return labels;
}

export function inboundLabels(authority: string, app: Endpoint | undefined): TargetLabels {
  return { direction: 'inbound', authority, target_addr: app?.key ?? '', tls: TLS_NO_IDENTITY, no_tls_reason: 'no_tls_from_remote' };
}
