// Which requests a tap wants (proto/tap.proto Match), compiled once per tap into sets, and checked in two
// steps: what the request says (direction, authority, method, path) when it arrives, and who the other end is
// once the response is complete (outbound, the endpoint is chosen only while routing). Pure; never throws.
import type { TapMatch, TapPeer } from '../../common/tap-api';
import type { Direction } from '../metrics/labels';

/** What is known of the other end of a request (see Peer in proto/tap.proto). */
export interface PeerFacts {
  namespace?: string;
  service?: string;
  pod?: string;
  identity?: string;
  ip?: string;
}

interface CompiledPeer {
  namespace?: string;
  services?: ReadonlySet<string>;
  pods?: ReadonlySet<string>;
  identities?: ReadonlySet<string>;
  ips?: ReadonlySet<string>;
}

export class TapMatcher {
  private readonly direction?: Direction;
  private readonly authority?: string;
  private readonly method?: string;
  private readonly pathPrefix?: string;
  private readonly to?: CompiledPeer;
  private readonly from?: CompiledPeer;

  constructor(match: TapMatch | null) {
    this.direction = match?.direction === 'inbound' || match?.direction === 'outbound' ? match.direction : undefined;
    this.authority = match?.authority ? match.authority.toLowerCase() : undefined;
    this.method = match?.method ? match.method.toUpperCase() : undefined;
    this.pathPrefix = match?.pathPrefix || undefined;
    this.to = compilePeer(match?.to);
    this.from = compilePeer(match?.from);
  }

  /** Why the match cannot be served, or undefined. */
  static invalid(match: TapMatch | null): string | undefined {
    if (match?.direction && match.direction !== 'inbound' && match.direction !== 'outbound') return `direction must be inbound or outbound, not ${JSON.stringify(match.direction)}`;
    if (compilePeer(match?.to) && compilePeer(match?.from)) return 'give `to` or `from`, not both: `to` selects outbound requests and `from` inbound ones';
    return undefined;
  }

  /** What the request says, when it arrives. */
  wantsRequest(direction: Direction, authority: string, method: string, path: string): boolean {
    if (this.direction !== undefined && direction !== this.direction) return false;
    if (this.to && direction !== 'outbound') return false;
    if (this.from && direction !== 'inbound') return false;
    if (this.authority !== undefined && authority.toLowerCase() !== this.authority) return false;
    if (this.method !== undefined && method.toUpperCase() !== this.method) return false;
    return this.pathPrefix === undefined || path.startsWith(this.pathPrefix);
  }

  /** Who the other end was, once known. */
  wantsPeer(direction: Direction, peer: PeerFacts): boolean {
    const wanted = direction === 'outbound' ? this.to : this.from;
    return wanted === undefined || peerMatches(wanted, peer);
  }
}

function compilePeer(peer: TapPeer | null | undefined): CompiledPeer | undefined {
  if (!peer) return undefined;
  const set = (values: string[] | undefined) => (values && values.length > 0 ? new Set(values.map((v) => v.toLowerCase())) : undefined);
  const compiled: CompiledPeer = { namespace: peer.namespace || undefined, services: set(peer.services), pods: set(peer.pods), identities: set(peer.identities), ips: set(peer.ips) };
  return Object.values(compiled).some((v) => v !== undefined) ? compiled : undefined;
}

function peerMatches(wanted: CompiledPeer, peer: PeerFacts): boolean {
  const within = (set: ReadonlySet<string> | undefined, value: string | undefined) => set === undefined || (value !== undefined && set.has(value.toLowerCase()));
  if (wanted.namespace !== undefined && peer.namespace !== wanted.namespace) return false;
  return within(wanted.services, peer.service) && within(wanted.pods, peer.pod) && within(wanted.identities, peer.identity) && within(wanted.ips, peer.ip);
}

const IDENTITY_NAMESPACE = /^[^.]+\.([^.]+)\.serviceaccount\.identity\./;

/** The namespace part of a workload identity name (`web.demo.serviceaccount.identity.weft.cluster.local` → demo). */
export function namespaceOfIdentity(identity: string | undefined): string | undefined {
  return identity === undefined ? undefined : IDENTITY_NAMESPACE.exec(identity)?.[1];
}
