// What discovery tells the proxy about a destination. The file source (this issue) and the gRPC destination
// client ([destination]) both implement Discovery, so nothing above this folder knows which one runs.
import type { HostPort } from '../../common/address';
import type { RetrySpec } from '../../common/endpoints-file';

export interface Endpoint {
  readonly addr: HostPort;
  /** `host:port`, the endpoint's identity in maps and in the `target_addr` label. */
  readonly key: string;
  /** The peer proxy's identity: originate mTLS to it. */
  readonly identity?: string;
  /** `h2`: the peer is a weft proxy, so HTTP/1 travels to it over one multiplexed h2 connection. */
  readonly protocolHint?: 'h2';
  readonly labels: Readonly<Record<string, string>>;
}

export interface ServicePolicy {
  readonly retry?: RetrySpec;
  readonly timeoutMs?: number;
}

/** A destination as discovery knows it now. The object stays the same; its fields are replaced on updates. */
export interface Service {
  readonly authority: string;
  endpoints: readonly Endpoint[];
  policy: ServicePolicy;
}

/** Called with an endpoint that no service discovery knows holds any more. */
export type EndpointRemoved = (endpoint: Endpoint) => void;

export interface Discovery {
  /** The service this authority names, or undefined when discovery does not know it. */
  resolve(authority: string): Service | undefined;
  /**
   * For sources that learn of an authority only when it is first asked for (the destination client): a promise
   * that settles once its first answer is in (or a short wait is over), so the first request can wait for it.
   * Undefined when resolve() can answer now.
   */
  firstAnswer?(authority: string): Promise<void> | undefined;
  /**
   * Subscribes to endpoints leaving discovery (the last service holding one dropped it), so that their pools and
   * sessions close at once instead of at the idle timeout. Sources that never remove endpoints leave it out.
   */
  onEndpointRemoved?(listener: EndpointRemoved): void;
  close(): void;
}

const normalized = new Map<string, string>();
const MAX_NORMALIZED = 10_000;

/** `Host` / `:authority` as discovery keys it: lower-case, with the port made explicit. Memoized: hot path. */
export function normalizeAuthority(authority: string, defaultPort = 80): string {
  const key = defaultPort === 80 ? authority : `${authority}\n${defaultPort}`;
  let result = normalized.get(key);
  if (result === undefined) {
    const lower = authority.toLowerCase();
    result = /:\d+$/.test(lower) ? lower : `${lower}:${defaultPort}`;
    if (normalized.size >= MAX_NORMALIZED) normalized.clear();
    normalized.set(key, result);
  }
  return result;
}
