// A service's retry configuration (retry.weft.io/* annotations, or `retry:` in the endpoints file), compiled
// once into the checks a request makes: which HTTP statuses and gRPC statuses are worth another try, how many
// tries, and which methods may be sent twice.
import type { RetrySpec } from '../../common/endpoints-file';

/** Retries per request when `limit` is not given (Linkerd's default). */
export const DEFAULT_RETRY_LIMIT = 1;

/** RFC 9110 §9.2.2: sending these twice has the same effect as once. */
const IDEMPOTENT = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'];

const GRPC_CODES: Record<string, number> = {
  cancelled: 1,
  unknown: 2,
  'invalid-argument': 3,
  'deadline-exceeded': 4,
  'not-found': 5,
  'already-exists': 6,
  'permission-denied': 7,
  'resource-exhausted': 8,
  'failed-precondition': 9,
  aborted: 10,
  'out-of-range': 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  'data-loss': 15,
  unauthenticated: 16,
};

export interface RetryPolicy {
  readonly limit: number;
  readonly perTryTimeoutMs?: number;
  /** HTTP statuses to retry. */
  readonly statuses: ReadonlySet<number>;
  /** gRPC statuses to retry. */
  readonly grpcStatuses: ReadonlySet<number>;
  /** Methods that may be retried; undefined: all of them. */
  readonly methods?: ReadonlySet<string>;
}

export class RetryConfigError extends Error {
  override name = 'RetryConfigError';
}

/** Throws RetryConfigError naming the part of the spec that is wrong. */
export function compileRetryPolicy(spec: RetrySpec): RetryPolicy {
  const methods = parseMethods(spec.methods);
  return {
    limit: spec.limit ?? DEFAULT_RETRY_LIMIT,
    perTryTimeoutMs: spec.timeoutMs,
    statuses: spec.http === undefined ? new Set() : parseHttpStatuses(spec.http),
    grpcStatuses: spec.grpc === undefined ? new Set() : parseGrpcStatuses(spec.grpc),
    methods,
  };
}

/** gRPC calls are all POST; configuring gRPC statuses is the opt-in, so the method does not stop them. */
export function mayRetryMethod(policy: RetryPolicy, method: string, grpc: boolean): boolean {
  return grpc || policy.methods === undefined || policy.methods.has(method);
}

/** `5xx`, `gateway-error` (502, 503, 504), single statuses and ranges: `5xx,429`, `500-504`. */
export function parseHttpStatuses(text: string): Set<number> {
  const statuses = new Set<number>();
  for (const token of tokens(text)) {
    const range =
      token === 'gateway-error'
        ? [502, 504]
        : /^[1-5]xx$/.test(token)
          ? [Number(token[0]) * 100, Number(token[0]) * 100 + 99]
          : /^\d{3}(-\d{3})?$/.test(token)
            ? token.split('-').map(Number)
            : undefined;
    if (!range) throw new RetryConfigError(`retry http: "${token}" is not a status, a range (500-504), a class (5xx) or gateway-error`);
    const [from, to = from] = range;
    for (let s = from; s <= to; s++) statuses.add(s);
  }
  return statuses;
}

/** gRPC status names (`unavailable`, `deadline-exceeded` or `DEADLINE_EXCEEDED`) or numbers. */
export function parseGrpcStatuses(text: string): Set<number> {
  const codes = new Set<number>();
  for (const token of tokens(text)) {
    const code = /^\d+$/.test(token) ? Number(token) : GRPC_CODES[token.replace(/_/g, '-')];
    if (code === undefined || code < 1 || code > 16) throw new RetryConfigError(`retry grpc: "${token}" is not a gRPC status name (e.g. unavailable, cancelled) or number 1-16`);
    codes.add(code);
  }
  return codes;
}

function parseMethods(text: string | undefined): Set<string> | undefined {
  if (text !== undefined && text.trim().toLowerCase() === 'all') return undefined;
  const methods = new Set(IDEMPOTENT);
  if (text !== undefined) for (const token of tokens(text)) methods.add(token.toUpperCase());
  return methods;
}

function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** Compiled policies per spec object (discovery replaces the object when the spec changes). */
export class RetryPolicies {
  private readonly compiled = new WeakMap<RetrySpec, RetryPolicy | null>();

  constructor(private readonly onInvalid: (error: RetryConfigError) => void) {}

  /** The policy, or undefined when the spec is absent or invalid (reported once, then not retried). */
  for(spec: RetrySpec | undefined): RetryPolicy | undefined {
    if (spec === undefined) return undefined;
    let policy = this.compiled.get(spec);
    if (policy === undefined) {
      try {
        policy = compileRetryPolicy(spec);
      } catch (err) {
        if (!(err instanceof RetryConfigError)) throw err;
        this.onInvalid(err);
        policy = null;
      }
      this.compiled.set(spec, policy);
    }
    return policy ?? undefined;
  }
}
