// The nat-table rules that send a pod's TCP traffic through its proxy, as linkerd2-proxy-init writes them:
//   PREROUTING → PROXY_INIT_REDIRECT: inbound TCP → the proxy's inbound port, except ignored ports and
//   ignored source subnets;
//   OUTPUT → PROXY_INIT_OUTPUT: the proxy's own traffic (by UID) and loopback stay untouched, ignored ports and
//   destination subnets pass, everything else → the proxy's outbound port.
// A pure function of the options and of what the table already holds, so the exact commands, re-runs
// included, are unit-tested without root.
import { EMPTY_NAT_TABLE, jumpRuleNumbers, NatTable } from './nat-table';

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
  /** IPv4 CIDRs (`10.0.0.0/8`): connections from them (inbound) and to them (outbound) bypass the proxy. */
  subnetsToIgnore: readonly string[];
}

/** The arguments of one `iptables -t nat …` invocation (the `-t nat` is implied). */
export type IptablesStep = readonly string[];

/** iptables' multiport match takes at most 15 ports, a range counting as two. */
const MULTIPORT_LIMIT = 15;

/**
 * The commands that leave exactly one set of weft's rules, whatever an earlier run left behind: each chain is
 * created, or flushed if it exists, then filled; the jump into it is added only if missing, and extra copies
 * of it are deleted. So running twice, or after a run that was killed half-way, ends in the same rules.
 */
export function iptablesPlan(options: RuleOptions, current: NatTable = EMPTY_NAT_TABLE): IptablesStep[] {
  return [
    ...installChain(REDIRECT_CHAIN, inboundRules(options), 'PREROUTING', 'install-proxy-init-prerouting', current),
    ...installChain(OUTPUT_CHAIN, outboundRules(options), 'OUTPUT', 'install-proxy-init-output', current),
  ];
}

function installChain(chain: string, rules: string[][], parent: string, jumpComment: string, current: NatTable): IptablesStep[] {
  const jumps = jumpRuleNumbers(current, parent, chain);
  return [
    [current.chains.has(chain) ? '-F' : '-N', chain],
    ...rules.map((rule) => ['-A', chain, ...rule]),
    // The jump comes last, so it never leads into a chain still being filled on a first run.
    ...(jumps.length === 0
      ? [['-A', parent, '-j', chain, ...comment(jumpComment)]]
      : // Highest number first, so deleting one does not renumber the others.
        jumps.slice(1).reverse().map((n) => ['-D', parent, String(n)])),
  ];
}

function inboundRules({ incomingProxyPort, inboundPortsToIgnore, subnetsToIgnore }: RuleOptions): string[][] {
  return [
    ...ignorePorts(inboundPortsToIgnore),
    ...subnetsToIgnore.map((subnet) => ['-s', subnet, '-j', 'RETURN', ...comment(`ignore-subnet-${subnet}`)]),
    ['-p', 'tcp', '-j', 'REDIRECT', '--to-port', String(incomingProxyPort), ...comment('redirect-all-incoming-to-proxy-port')],
  ];
}

function outboundRules({ outgoingProxyPort, proxyUid, outboundPortsToIgnore, subnetsToIgnore }: RuleOptions): string[][] {
  return [
    // First, or the proxy's own connections to their real destinations would loop back into it.
    ['-m', 'owner', '--uid-owner', String(proxyUid), '-j', 'RETURN', ...comment('ignore-proxy-user-id')],
    // The app talking to itself, or to the proxy's ports on localhost, is not mesh traffic.
    ['-o', 'lo', '-j', 'RETURN', ...comment('ignore-loopback')],
    ...ignorePorts(outboundPortsToIgnore),
    ...subnetsToIgnore.map((subnet) => ['-d', subnet, '-j', 'RETURN', ...comment(`ignore-subnet-${subnet}`)]),
    ['-p', 'tcp', '-j', 'REDIRECT', '--to-port', String(outgoingProxyPort), ...comment('redirect-all-outgoing-to-proxy-port')],
  ];
}

function ignorePorts(ports: readonly PortSpec[]): string[][] {
  return multiportGroups(ports).map((group) =>
    ['-p', 'tcp', '-m', 'multiport', '--dports', group, '-j', 'RETURN', ...comment(`ignore-port-${group.replace(/:/g, '-')}`)],
  );
}

/** Splits ports into comma lists that each fit one multiport match: `['4190,4191,8000:8010']`. */
export function multiportGroups(ports: readonly PortSpec[]): string[] {
  const groups: string[][] = [];
  let weight = MULTIPORT_LIMIT;
  for (const { first, last } of dedupePorts(ports)) {
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

/** Each port or range once, first occurrence kept: the proxy's own ports may also be passed on the command line. */
export function dedupePorts(ports: readonly PortSpec[]): PortSpec[] {
  const seen = new Map<string, PortSpec>();
  for (const port of ports) seen.set(`${port.first}-${port.last}`, port);
  return [...seen.values()];
}

/** Comments make `iptables -t nat -S` readable for whoever debugs a pod; linkerd2-proxy-init names them alike. */
function comment(text: string): string[] {
  return ['-m', 'comment', '--comment', `weft-proxy-init/${text}`];
}

/** The step as a shell line: `--dry-run` output is a script that does what a real run would. */
export function formatStep(iptables: string, step: IptablesStep): string {
  return [iptables, '-t', 'nat', ...step].map(shellQuote).join(' ');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
