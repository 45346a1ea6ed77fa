// Which local ports inbound may connect to on the app's behalf. The port comes from whoever sent the
// connection: a peer proxy's transport header, or the original destination a client dialled. Without this
// check a peer could reach the proxy's own admin (POST /shutdown from loopback), its outbound listener (its
// request would leave with this proxy's identity: one workload laundering itself into another) or inbound
// itself (a loop). So the proxy's own ports are never allowed, and when WEFT_PROXY_INBOUND_PORTS names the
// app's ports, nothing else is either; when it is empty (many pods declare no ports) any other port is.
import { ENV } from '../../common/contract';

/** The proxy's own listeners; tap counts even while nothing listens there. */
export type ProxyPortName = 'inbound' | 'outbound' | 'admin' | 'tap';

/** Also the `reason` label of inbound_port_refused_total. */
export type PortRefusalReason = 'proxy_port' | 'not_an_inbound_port';

export type PortDecision =
  | { kind: 'allowed' }
  /** `proxyPort` names which of the proxy's listeners the port belongs to, for `proxy_port`. */
  | { kind: 'refused'; reason: PortRefusalReason; proxyPort?: ProxyPortName };

export interface InboundPortPolicy {
  /** The proxy's own ports as bound (tests listen on port 0), and the configured tap port. */
  proxyPorts: ReadonlyMap<number, ProxyPortName>;
  /** WEFT_PROXY_INBOUND_PORTS: the app's ports; empty means any port but the proxy's own. */
  appPorts: ReadonlySet<number>;
}

const ALLOWED: PortDecision = { kind: 'allowed' };
const NOT_AN_INBOUND_PORT: PortDecision = { kind: 'refused', reason: 'not_an_inbound_port' };

/** Pure: no I/O, never throws. The proxy's own ports are refused even if INBOUND_PORTS lists them. */
export function allowedPort(port: number, policy: InboundPortPolicy): PortDecision {
  const proxyPort = policy.proxyPorts.get(port);
  if (proxyPort !== undefined) return { kind: 'refused', reason: 'proxy_port', proxyPort };
  if (policy.appPorts.size > 0 && !policy.appPorts.has(port)) return NOT_AN_INBOUND_PORT;
  return ALLOWED;
}

/** For logs and error bodies: why `port` was refused. */
export function describeRefusal(port: number, decision: Extract<PortDecision, { kind: 'refused' }>): string {
  return decision.reason === 'proxy_port'
    ? `port ${port} is this proxy's own ${decision.proxyPort} port`
    : `port ${port} is not one of the app's ports (${ENV.inboundPorts})`;
}
