// What `iptables -t nat -S` says is there, read once before a run so that a re-run (the init container
// restarted, maybe half-way through) rewrites its own chains instead of stacking a second copy.
// Pure: a listing in, never throws; lines it does not know (iptables-nft's `# Warning: …`) are skipped.

export interface NatTable {
  /** User-defined chains (`-N NAME`). */
  chains: ReadonlySet<string>;
  /** Each chain's rules in order, as listed after `-A CHAIN `; rule number n is element n - 1. */
  rules: ReadonlyMap<string, readonly string[]>;
}

export const EMPTY_NAT_TABLE: NatTable = { chains: new Set(), rules: new Map() };

export function parseNatListing(listing: string): NatTable {
  const chains = new Set<string>();
  const rules = new Map<string, string[]>();
  for (const line of listing.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === '-N' && words[1]) chains.add(words[1]);
    if (words[0] === '-A' && words[1]) {
      const chainRules = rules.get(words[1]) ?? [];
      chainRules.push(words.slice(2).join(' '));
      rules.set(words[1], chainRules);
    }
  }
  return { chains, rules };
}

/** Rule numbers (1-based, ascending) of `parent`'s rules that jump to `target`. */
export function jumpRuleNumbers(table: NatTable, parent: string, target: string): number[] {
  const jump = new RegExp(`(^|\\s)-j ${target}(\\s|$)`);
  return (table.rules.get(parent) ?? []).flatMap((rule, i) => (jump.test(rule) ? [i + 1] : []));
}

/** Rules anyone wrote (user chains or appended rules): the built-in chains' policies alone do not count. */
export function ruleCount(table: NatTable): number {
  let count = table.chains.size;
  for (const chainRules of table.rules.values()) count += chainRules.length;
  return count;
}
