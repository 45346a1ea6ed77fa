// weft-proxy-init's command line → RuleOptions. Flag names follow linkerd2-proxy-init's, so the injector and
// operators write what they already know.
import { isIPv4 } from 'node:net';
import { parseArgs } from 'node:util';
import { parseHostPort } from '../../common/address';
import { PROXY_ADMIN_ADDR, PROXY_INBOUND_ADDR, PROXY_OUTBOUND_ADDR, PROXY_TAP_ADDR, PROXY_UID } from '../../common/contract';
import { UsageError } from '../../common/errors';
import { IPTABLES_MODES, IptablesMode } from './backend';
import { dedupePorts, PortSpec, RuleOptions } from './rules';

export interface InitOptions extends RuleOptions {
  dryRun: boolean;
  /** Which backend: detected (`auto`), or `nft` / `legacy` as asked. */
  iptablesMode: IptablesMode;
  /** A particular iptables binary to run instead, with no detection. */
  iptablesBin: string | undefined;
}

export type ParsedArgs = { help: true } | { help: false; options: InitOptions };

const portOf = (addr: string): number => parseHostPort(addr)!.port;
/** The proxy's own admin and tap ports are never sent to its inbound listener. */
const PROXY_OWN_PORTS: readonly number[] = [portOf(PROXY_TAP_ADDR), portOf(PROXY_ADMIN_ADDR)];

export const USAGE = `Usage: weft-proxy-init [options]

Writes the iptables nat rules that send a pod's IPv4 TCP traffic through its weft proxy. Run it in the pod's
network namespace before the app starts (needs NET_ADMIN). Running it again, also after a run that stopped
half-way, leaves exactly one set of rules: its own chains are rewritten, never added twice.

Options:
  --incoming-proxy-port PORT        inbound traffic goes here (default ${portOf(PROXY_INBOUND_ADDR)})
  --outgoing-proxy-port PORT        outbound traffic goes here (default ${portOf(PROXY_OUTBOUND_ADDR)})
  --proxy-uid UID                   the proxy's user; its own traffic is not redirected (default ${PROXY_UID})
  --inbound-ports-to-ignore LIST    inbound ports that bypass the proxy, e.g. 22,8000-8010
                                    (${PROXY_OWN_PORTS.join(' and ')}, the proxy's own ports, always do)
  --outbound-ports-to-ignore LIST   outbound ports that bypass the proxy, e.g. 25,3306
  --subnets-to-ignore LIST          IPv4 subnets whose traffic bypasses the proxy: connections from them
                                    (inbound) and to them (outbound), e.g. 10.96.0.0/12,192.168.1.7
  --iptables-mode auto|nft|legacy   the kernel backend (default auto: the one holding this tool's rules from
                                    an earlier run, else the one holding more rules, else nft if it works)
  --iptables-bin PATH               run this iptables binary, with no detection (not with --iptables-mode)
  --dry-run                         print the iptables commands as a shell script instead of running them
  --verbose                         print stack traces with errors
  --help                            show this help
`;

export function parseInitArgs(argv: readonly string[]): ParsedArgs {
  const { values } = parseWithUsageErrors(argv);
  if (values.help) return { help: true };
  if (values['iptables-mode'] !== undefined && values['iptables-bin'] !== undefined) {
    throw new UsageError('--iptables-mode and --iptables-bin both say which iptables to run; pass one of them');
  }
  return {
    help: false,
    options: {
      incomingProxyPort: optionalPort('--incoming-proxy-port', values['incoming-proxy-port']) ?? portOf(PROXY_INBOUND_ADDR),
      outgoingProxyPort: optionalPort('--outgoing-proxy-port', values['outgoing-proxy-port']) ?? portOf(PROXY_OUTBOUND_ADDR),
      proxyUid: values['proxy-uid'] === undefined ? PROXY_UID : parseUid(values['proxy-uid']),
      inboundPortsToIgnore: dedupePorts([
        ...PROXY_OWN_PORTS.map((port) => ({ first: port, last: port })),
        ...parsePortLists('--inbound-ports-to-ignore', values['inbound-ports-to-ignore']),
      ]),
      outboundPortsToIgnore: parsePortLists('--outbound-ports-to-ignore', values['outbound-ports-to-ignore']),
      subnetsToIgnore: parseSubnetLists(values['subnets-to-ignore']),
      dryRun: values['dry-run'] ?? false,
      iptablesMode: parseMode(values['iptables-mode']),
      iptablesBin: values['iptables-bin'],
    },
  };
}

function parseWithUsageErrors(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'incoming-proxy-port': { type: 'string' },
        'outgoing-proxy-port': { type: 'string' },
        'proxy-uid': { type: 'string' },
        'inbound-ports-to-ignore': { type: 'string', multiple: true },
        'outbound-ports-to-ignore': { type: 'string', multiple: true },
        'subnets-to-ignore': { type: 'string', multiple: true },
        'iptables-mode': { type: 'string' },
        'iptables-bin': { type: 'string' },
        'dry-run': { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; see weft-proxy-init --help`);
  }
}

function optionalPort(flag: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : parsePort(flag, text);
}

function parsePort(flag: string, text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`${flag}: "${text}" is not a port; use a number from 1 to 65535`);
  return port;
}

function parseUid(text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xfffffffe) {
    throw new UsageError(`--proxy-uid: "${text}" is not a user id; use a number such as ${PROXY_UID}`);
  }
  return Number(text);
}

function parseMode(text: string | undefined): IptablesMode {
  if (text === undefined) return 'auto';
  const mode = IPTABLES_MODES.find((m) => m === text);
  if (!mode) throw new UsageError(`--iptables-mode: "${text}" is not a mode; use ${IPTABLES_MODES.join(', ')}`);
  return mode;
}

/** `a,b` (repeatable, blanks allowed) → `['a', 'b']`. */
function listItems(lists: readonly string[] | undefined): string[] {
  return (lists ?? []).flatMap((list) => list.split(',')).map((item) => item.trim()).filter(Boolean);
}

/** `22,8000-8010` → port specs. */
function parsePortLists(flag: string, lists: readonly string[] | undefined): PortSpec[] {
  return listItems(lists).map((item) => {
    const range = /^(\d+)-(\d+)$/.exec(item);
    if (!range) {
      const port = parsePort(flag, item);
      return { first: port, last: port };
    }
    const first = parsePort(flag, range[1]);
    const last = parsePort(flag, range[2]);
    if (first > last) throw new UsageError(`${flag}: range "${item}" runs backwards; write it low-high`);
    return { first, last };
  });
}

/** `10.0.0.0/8,192.168.1.7` → CIDRs, a bare address meaning that one host (`/32`). */
function parseSubnetLists(lists: readonly string[] | undefined): string[] {
  return listItems(lists).map((item) => {
    const [address, prefix = '32', ...rest] = item.split('/');
    if (address.includes(':')) {
      throw new UsageError(`--subnets-to-ignore: "${item}" is IPv6; weft-proxy-init writes IPv4 rules only, so IPv6 traffic is not redirected anyway`);
    }
    if (!isIPv4(address) || rest.length > 0 || !/^\d{1,2}$/.test(prefix) || Number(prefix) > 32) {
      throw new UsageError(`--subnets-to-ignore: "${item}" is not an IPv4 subnet; write it as 10.0.0.0/8 or 192.168.1.7`);
    }
    return `${address}/${Number(prefix)}`;
  });
}
