// Responses the proxy makes itself (CONTRACT.md): 502 upstream connect or protocol error, 503 no endpoints /
// fail-fast / load shed, 504 timeout, and for an HTTP/1 request it will not forward 400 / 408 / 431 / 501, each
// with `weft-proxy-error: <reason>`; gRPC callers get the matching grpc-status instead of a bare HTTP status.
// `internal-error` is a fault inside the proxy, contained to one
// request (proxy/transport/guard.ts): 502, gRPC INTERNAL, never retried.
import { describeTlsError, isTlsError } from '../transport/tls-connect';

export type ProxyErrorReason =
  | 'unknown-authority'
  | 'no-endpoints'
  | 'connect-failed'
  | 'upstream-reset'
  | 'upstream-protocol-error'
  | 'upstream-tls-error'
  | 'timeout'
  | 'fail-fast'
  | 'load-shed'
  | 'shutting-down'
  | 'forbidden-port'
  // An HTTP/1 request refused before routing (proxy/http/http1-framing.ts, proxy/http/servers.ts).
  | 'malformed-request'
  | 'header-timeout'
  | 'too-many-headers'
  | 'headers-too-large'
  | 'unsupported-transfer-coding'
  | 'internal-error';

export type ProxyErrorStatus = 400 | 403 | 408 | 431 | 501 | 502 | 503 | 504;

const STATUS: Record<ProxyErrorReason, ProxyErrorStatus> = {
  'unknown-authority': 503,
  'no-endpoints': 503,
  'connect-failed': 502,
  'upstream-reset': 502,
  'upstream-protocol-error': 502,
  'upstream-tls-error': 502,
  timeout: 504,
  'fail-fast': 503,
  'load-shed': 503,
  'shutting-down': 503,
  // Inbound refused the port a peer named (the proxy's own, or not the app's). 403, not 502, as Linkerd
  // answers an inbound policy denial and Istio/Envoy an RBAC one: the refusal is deliberate and will not
  // change on a retry, and a 5xx would be retried by `gateway-error` policies and count against the endpoint.
  'forbidden-port': 403,
  'malformed-request': 400,
  'header-timeout': 408,
  'too-many-headers': 431,
  'headers-too-large': 431,
  'unsupported-transfer-coding': 501,
  'internal-error': 502,
};

export const GRPC_UNAVAILABLE = 14;
export const GRPC_DEADLINE_EXCEEDED = 4;
export const GRPC_PERMISSION_DENIED = 7;
export const GRPC_INTERNAL = 13;

export class ProxyError extends Error {
  override name = 'ProxyError';
  readonly status: ProxyErrorStatus;

  /** `message` is for people: it names the target, the endpoint and the cause. */
  constructor(
    readonly reason: ProxyErrorReason,
    message: string,
  ) {
    super(message);
    this.status = STATUS[reason];
  }

  get grpcStatus(): number {
    if (this.status === 403) return GRPC_PERMISSION_DENIED;
    if (this.reason === 'internal-error') return GRPC_INTERNAL;
    return this.status === 504 ? GRPC_DEADLINE_EXCEEDED : GRPC_UNAVAILABLE;
  }
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Classifies a failure talking to an upstream endpoint. */
export function upstreamError(err: Error & { code?: string }, endpoint: string): ProxyError {
  // An h2 stream cancelled because its session could not connect carries the socket's error as its cause.
  const cause = err.cause as (Error & { code?: string }) | undefined;
  // mTLS to a peer proxy failed: its certificate did not verify or named someone else, or we have none yet.
  const tlsFailure = isTlsError(err) ? err : isTlsError(cause) ? cause : undefined;
  if (tlsFailure) return new ProxyError('upstream-tls-error', `mTLS to ${endpoint} failed: ${describeTlsError(tlsFailure)} (${tlsFailure.code})`);
  const code = (cause?.code !== undefined && CONNECT_ERRORS.has(cause.code) ? cause.code : err.code) ?? '';
  if (CONNECT_ERRORS.has(code)) return new ProxyError('connect-failed', `connect to ${endpoint} failed: ${code}`);
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'ERR_HTTP2_STREAM_ERROR' || code === 'EPIPE') {
    return new ProxyError('upstream-reset', `${endpoint} reset the connection (${code})`);
  }
  return new ProxyError('upstream-protocol-error', `${endpoint}: ${err.message}${code ? ` (${code})` : ''}`);
}
