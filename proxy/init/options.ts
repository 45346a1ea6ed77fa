// weft-proxy-init's command line → RuleOptions. Flag names follow linkerd2-proxy-init's, so the injector and
// operators write what they already know.
import { parseArgs } from 'node:util';
import { parseHostPort } from '../../common/address';
import { PROXY_ADMIN_ADDR, PROXY_INBOUND_ADDR, PROXY_OUTBOUND_ADDR, PROXY_TAP_ADDR, PROXY_UID } from '../../common/contract';
import { UsageError } from '../../common/errors';
import type { PortSpec, RuleOptions } from './rules';

export interface InitOptions extends RuleOptions {
  dryRun: boolean;
  /** Which iptables to run: `iptables` (whatever the image links), `iptables-legacy` or `iptables-nft`. */
  iptablesBin: string;
}

export type ParsedArgs = { help: true } | { help: false; options: InitOptions };

const portOf = (addr: string): number => parseHostPort(addr)!.port;
/** The proxy's own admin and tap ports are never sent to its inbound listener. */
const PROXY_OWN_PORTS: readonly number[] = [portOf(PROXY_TAP_ADDR), portOf(PROXY_ADMIN_ADDR)];

export const USAGE = `Usage: weft-proxy-init [options]

Writes the iptables nat rules that send a pod's TCP traffic through its weft proxy. Run it once in the pod's
network namespace before the app starts (needs NET_ADMIN); running it again replaces the rules.

Options:
  --incoming-proxy-port PORT        inbound traffic goes here (default ${portOf(PROXY_INBOUND_ADDR)})
  --outgoing-proxy-port PORT        outbound traffic goes here (default ${portOf(PROXY_OUTBOUND_ADDR)})
  --proxy-uid UID                   the proxy's user; its own traffic is not redirected (default ${PROXY_UID})
  --inbound-ports-to-ignore LIST    inbound ports that bypass the proxy, e.g. 22,8000-8010
                                    (${PROXY_OWN_PORTS.join(' and ')}, the proxy's own ports, always do)
  --outbound-ports-to-ignore LIST   outbound ports that bypass the proxy, e.g. 25,3306
  --iptables-bin PATH               iptables to run (default iptables; or iptables-legacy, iptables-nft)
  --dry-run                         print the iptables commands as a shell script instead of running them
  --verbose                         print stack traces with errors
  --help                            show this help
`;

export function parseInitArgs(argv: readonly string[]): ParsedArgs {
  const { values } = parseWithUsageErrors(argv);
  if (values.help) return { help: true };
  return {
    help: false,
    options: {
      incomingProxyPort: optionalPort('--incoming-proxy-port', values['incoming-proxy-port']) ?? portOf(PROXY_INBOUND_ADDR),
      outgoingProxyPort: optionalPort('--outgoing-proxy-port', values['outgoing-proxy-port']) ?? portOf(PROXY_OUTBOUND_ADDR),
      proxyUid: values['proxy-uid'] === undefined ? PROXY_UID : parseUid(values['proxy-uid']),
      inboundPortsToIgnore: [
        ...PROXY_OWN_PORTS.map((port) => ({ first: port, last: port })),
        ...parsePortLists('--inbound-ports-to-ignore', values['inbound-ports-to-ignore']),
      ],
      outboundPortsToIgnore: parsePortLists('--outbound-ports-to-ignore', values['outbound-ports-to-ignore']),
      dryRun: values['dry-run'] ?? false,
      iptablesBin: values['iptables-bin'] ?? 'iptables',
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

/** `22,8000-8010` (repeatable, blanks allowed) → port specs. */
function parsePortLists(flag: string, lists: readonly string[] | undefined): PortSpec[] {
  const items = (lists ?? []).flatMap((list) => list.split(',')).map((item) => item.trim()).filter(Boolean);
  return items.map((item) => {
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
