// The nat-table rules that send a pod's TCP traffic through its proxy, as linkerd2-proxy-init writes them:
//   PREROUTING → PROXY_INIT_REDIRECT: inbound TCP → the proxy's inbound port, except ignored ports;
//   OUTPUT → PROXY_INIT_OUTPUT: the proxy's own traffic (by UID) and loopback stay untouched, ignored ports
//   pass, everything else → the proxy's outbound port.
// A pure function of the options, so the exact rule list is unit-tested without root.

export const REDIRECT_CHAIN = 'PROXY_INIT_REDIRECT';
export const OUTPUT_CHAIN = 'PROXY_INIT_OUTPUT';

/** A port (`8080`) or an inclusive range (`8000-8010`), as operators write them in annotations. */
export type PortSpec = { first: number; last: number };

export interface RuleOptions {
  incomingProxyPort: number;
  outgoingProxyPort: number;
  proxyUid: number;
  inboundPortsToIgnore: readonly PortSpec[];
  outboundPortsToIgnore: readonly PortSpec[];
}

/** One `iptables -t nat …` invocation (the `-t nat` is implied). */
export interface IptablesStep {
  args: readonly string[];
  /**
   * Removes what an earlier run wrote, so a re-run replaces the chains instead of stacking a second copy.
   * Fails harmlessly when there is nothing to remove, so its failure is ignored.
   */
  cleanup: boolean;
}

/** iptables' multiport match takes at most 15 ports, a range counting as two. */
const MULTIPORT_LIMIT = 15;

export function iptablesPlan(options: RuleOptions): IptablesStep[] {
  return [
    ...removeChain(INBOUND_JUMP, REDIRECT_CHAIN),
    ...removeChain(OUTBOUND_JUMP, OUTPUT_CHAIN),
    ...inboundChain(options),
    ...outboundChain(options),
  ];
}

// `-D` finds a rule by its exact spec, comment included, so installing and removing share these.
const INBOUND_JUMP = ['PREROUTING', '-j', REDIRECT_CHAIN, ...comment('install-proxy-init-prerouting')];
const OUTBOUND_JUMP = ['OUTPUT', '-j', OUTPUT_CHAIN, ...comment('install-proxy-init-output')];

function removeChain(jump: readonly string[], chain: string): IptablesStep[] {
  return [
    { args: ['-D', ...jump], cleanup: true },
    { args: ['-F', chain], cleanup: true },
    { args: ['-X', chain], cleanup: true },
  ];
}

function inboundChain({ incomingProxyPort, inboundPortsToIgnore }: RuleOptions): IptablesStep[] {
  return [
    rule('-N', REDIRECT_CHAIN),
    ...ignorePorts(REDIRECT_CHAIN, inboundPortsToIgnore),
    rule('-A', REDIRECT_CHAIN, '-p', 'tcp', '-j', 'REDIRECT', '--to-port', String(incomingProxyPort),
      ...comment('redirect-all-incoming-to-proxy-port')),
    rule('-A', ...INBOUND_JUMP),
  ];
}

function outboundChain({ outgoingProxyPort, proxyUid, outboundPortsToIgnore }: RuleOptions): IptablesStep[] {
  return [
    rule('-N', OUTPUT_CHAIN),
    // First, or the proxy's own connections to their real destinations would loop back into it.
    rule('-A', OUTPUT_CHAIN, '-m', 'owner', '--uid-owner', String(proxyUid), '-j', 'RETURN',
      ...comment('ignore-proxy-user-id')),
    // The app talking to itself, or to the proxy's ports on localhost, is not mesh traffic.
    rule('-A', OUTPUT_CHAIN, '-o', 'lo', '-j', 'RETURN', ...comment('ignore-loopback')),
    ...ignorePorts(OUTPUT_CHAIN, outboundPortsToIgnore),
    rule('-A', OUTPUT_CHAIN, '-p', 'tcp', '-j', 'REDIRECT', '--to-port', String(outgoingProxyPort),
      ...comment('redirect-all-outgoing-to-proxy-port')),
    rule('-A', ...OUTBOUND_JUMP),
  ];
}

function ignorePorts(chain: string, ports: readonly PortSpec[]): IptablesStep[] {
  return multiportGroups(ports).map((group) =>
    rule('-A', chain, '-p', 'tcp', '-m', 'multiport', '--dports', group, '-j', 'RETURN',
      ...comment(`ignore-port-${group.replace(/:/g, '-')}`)),
  );
}

/** Splits ports into comma lists that each fit one multiport match: `['4190,4191,8000:8010']`. */
export function multiportGroups(ports: readonly PortSpec[]): string[] {
  const groups: string[][] = [];
  let weight = MULTIPORT_LIMIT;
  for (const { first, last } of dedupe(ports)) {
    const cost = first === last ? 1 : 2;
    if (weight + cost > MULTIPORT_LIMIT) {
      groups.push([]);
      weight = 0;
    }
    groups[groups.length - 1].push(first === last ? String(first) : `${first}:${last}`);
    weight += cost;
  }
  return groups.map((group) => group.join(','));
}

function dedupe(ports: readonly PortSpec[]): PortSpec[] {
  const seen = new Map<string, PortSpec>();
  for (const port of ports) seen.set(`${port.first}-${port.last}`, port);
  return [...seen.values()];
}

function rule(...args: string[]): IptablesStep {
  return { args, cleanup: false };
}

/** Comments make `iptables -t nat -S` readable for whoever debugs a pod; linkerd2-proxy-init names them alike. */
function comment(text: string): string[] {
  return ['-m', 'comment', '--comment', `weft-proxy-init/${text}`];
}

/** The step as a shell line: `--dry-run` output is a script that does what a real run does. */
export function formatStep(iptables: string, step: IptablesStep): string {
  const line = [iptables, '-t', 'nat', ...step.args].map(shellQuote).join(' ');
  return step.cleanup ? `${line} 2>/dev/null || true` : line;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
