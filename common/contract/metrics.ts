// Metric family names and label names, the same as Linkerd2's proxy (CONTRACT.md "Metrics").
import { PROXY_WORKLOAD_KINDS } from './annotations';

export const METRIC = {
  requestTotal: 'request_total',
  responseTotal: 'response_total',
  responseLatencyMs: 'response_latency_ms',
  tcpOpenTotal: 'tcp_open_total',
  tcpCloseTotal: 'tcp_close_total',
  tcpOpenConnections: 'tcp_open_connections',
  tcpReadBytesTotal: 'tcp_read_bytes_total',
  tcpWriteBytesTotal: 'tcp_write_bytes_total',
  identityCertExpiration: 'identity_cert_expiration_timestamp_seconds',
  identityCertRefreshTotal: 'identity_cert_refresh_total',
  retryTotal: 'retry_total',
  retryBudgetExhaustedTotal: 'retry_budget_exhausted_total',
  eventLoopDelaySeconds: 'event_loop_delay_seconds',
  /** Faults inside the proxy, each contained to its request or connection (proxy/transport/guard.ts), by `direction`. */
  proxyInternalErrorsTotal: 'proxy_internal_errors_total',
} as const;

/** The control plane's own TLS (beyond Linkerd2's names), by `service` (identity, destination). */
export const CONTROL_PLANE_TLS_METRIC = {
  /** When the serving certificate in force expires, in seconds since the epoch. */
  servingCertExpiration: 'control_plane_serving_cert_expiration_timestamp_seconds',
  /** Serving certificate requests, by `result` (success, failure). */
  servingCertRefreshTotal: 'control_plane_serving_cert_refresh_total',
  /** Connections closed because they did not start with a TLS handshake. */
  plaintextRefusedTotal: 'control_plane_plaintext_refused_total',
} as const;

/** Inbound's own metric (beyond Linkerd2's names), by `reason` (proxy_port, not_an_inbound_port). */
export const INBOUND_METRIC = {
  /** Connections and requests not forwarded: the port they named is the proxy's own, or not the app's. */
  portRefusedTotal: 'inbound_port_refused_total',
} as const;

/** The proxy's tap (beyond Linkerd2's names; registered once the tap port takes its first connection). */
export const TAP_METRIC = {
  /** Events not sent, by `reason`: `rate` (past the tap's max_rps) or `slow_reader` (its stream is full). */
  eventsDroppedTotal: 'tap_events_dropped_total',
  /** Taps open now. */
  openTaps: 'tap_open_streams',
} as const;

/** The controller's tap service. */
export const TAP_SERVICE_METRIC = {
  /** Events not streamed to a caller that left too much unread. */
  eventsDroppedTotal: 'tap_service_events_dropped_total',
} as const;

export const LATENCY_BUCKETS_MS: readonly number[] = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000,
  40000, 50000,
];

/**
 * What discovery says about an endpoint (its `metric_labels`), as Linkerd's destination service does: where it
 * lives, the workload it belongs to (one of PROXY_WORKLOAD_KINDS) and its service account. A fixed set, so label
 * sets stay bounded whatever a cluster or an endpoints file holds.
 */
export const ENDPOINT_LABELS = ['namespace', 'service', 'pod', ...PROXY_WORKLOAD_KINDS, 'serviceaccount'] as const;
export type EndpointLabel = (typeof ENDPOINT_LABELS)[number];
/** The outbound metric label of an endpoint label: `dst_deployment` for `deployment`. */
export const dstLabel = <L extends EndpointLabel>(label: L): `dst_${L}` => `dst_${label}`;
const DST_LABELS = ENDPOINT_LABELS.map(dstLabel) as readonly `dst_${EndpointLabel}`[];

/** Labels that identify where traffic went; fixed per target so children can be cached. */
export const TARGET_LABELS = ['direction', 'authority', 'target_addr', 'tls', 'no_tls_reason', 'server_id', 'client_id', ...DST_LABELS] as const;

export const TLS_TRUE = 'true';
export const TLS_NO_IDENTITY = 'no_identity';

/** Discovery's own metrics (beyond Linkerd2's names): the controller's streams, and each proxy's view of them. */
export const DESTINATION_METRIC = {
  /** Controller: open Get / GetProfile streams, by `method`. */
  serverStreams: 'destination_server_streams',
  /** Controller: messages sent, by `method` and `kind` (add, remove, no_endpoints, not_in_cluster, profile). */
  serverUpdatesTotal: 'destination_server_updates_total',
  /** Proxy: authorities it follows, by `state` (live, reconnecting). */
  clientStreams: 'destination_client_streams',
  /** Proxy: messages received, by `kind`. */
  clientUpdatesTotal: 'destination_client_updates_total',
  /** Proxy: streams opened again after they failed. */
  clientReconnectsTotal: 'destination_client_reconnects_total',
  /** Proxy: how long the oldest answer still in force has gone unconfirmed (its stream down); 0 when all are live. */
  clientStaleSeconds: 'destination_client_stale_seconds',
} as const;

/** The controller's identity service (beyond Linkerd2's names). */
export const IDENTITY_SERVICE_METRIC = {
  issuedTotal: 'identity_certificates_issued_total',
  /** By `reason`: the gRPC status of the refusal. */
  refusedTotal: 'identity_certify_refused_total',
  /** When the issuer in force expires: the number to alert on. */
  issuerExpiration: 'identity_issuer_expiration_timestamp_seconds',
} as const;

/** The injector webhook's metrics (Linkerd2's names): `skip` ("true"/"false") and, on responses, `skip_reason`. */
export const INJECTOR_METRIC = {
  admissionRequestsTotal: 'proxy_inject_admission_requests_total',
  admissionResponsesTotal: 'proxy_inject_admission_responses_total',
} as const;

/**
 * The controller's SLO gauges, one series per Service with SLO annotations (CONTRACT.md "Tap, CLI views,
 * dashboard, SLOs"); the burn-rate alerts of `weft install prometheus` join on them by `namespace`, `service`.
 */
export const SLO_METRIC = {
  /** `{namespace, service}`: the ratio of requests that must succeed, e.g. 0.999 for `slo.weft.io/success-rate: "99.9"`. */
  successRateObjective: 'slo_success_rate_objective',
  /**
   * `{namespace, service, le}`: the ratio of requests that must answer within `le` milliseconds, e.g. 0.99 with
   * le="300" for `slo.weft.io/latency: 300ms@99`. `le` is one of LATENCY_BUCKETS_MS written as Prometheus writes
   * bucket bounds ("300", not "300.0"), so it matches `response_latency_ms_bucket{le}`.
   */
  latencyObjective: 'slo_latency_objective',
  /** `{namespace, service}`: the SLO window in seconds (`slo.weft.io/window`, default 30d = 2592000). */
  windowSeconds: 'slo_window_seconds',
} as const;

/**
 * Labels a scraper adds to every series of a proxy, from its scrape target (as Linkerd's Prometheus config
 * does from the pod): what views group by.
 */
export const PROXY_TARGET_LABEL = { namespace: 'namespace', deployment: 'deployment', pod: 'pod' } as const;
