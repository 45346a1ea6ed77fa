// Which iptables writes the rules. One command line fronts two kernel backends: nf_tables (`iptables-nft`)
// and the older x_tables (`iptables-legacy`). Rules written through one are invisible to the other, so a
// restarted init container that picked the other backend would leave two sets of rules, both applied.
// In auto mode the choice is, in order:
//   1. the backend that already holds weft's chains: a re-run rewrites the rules it wrote before;
//   2. the one holding more rules of others: what the node's tooling uses (Kubernetes' iptables wrappers
//      reason alike);
//   3. the first that works, nft first: current distributions default to it, and kernels without x_tables
//      have only it.
// Pure: the probes (each candidate's `iptables -t nat -S`, or why it failed) are made by apply.ts.
import { NatTable, parseNatListing, ruleCount } from './nat-table';
import { OUTPUT_CHAIN, REDIRECT_CHAIN } from './rules';

export const IPTABLES_MODES = ['auto', 'nft', 'legacy'] as const;
export type IptablesMode = (typeof IPTABLES_MODES)[number];

/** Plain `iptables` comes last in auto mode, for images that ship only it. */
const MODE_CANDIDATES: Record<IptablesMode, readonly string[]> = {
  auto: ['iptables-nft', 'iptables-legacy', 'iptables'],
  nft: ['iptables-nft'],
  legacy: ['iptables-legacy'],
};

/** The binaries to probe: the one given by --iptables-bin, else the mode's. */
export function iptablesCandidates(mode: IptablesMode, bin: string | undefined): readonly string[] {
  return bin === undefined ? MODE_CANDIDATES[mode] : [bin];
}

export type Probe = { bin: string; listing: string } | { bin: string; failure: string };

export type IptablesChoice =
  | { kind: 'chosen'; bin: string; table: NatTable; reason: string }
  | { kind: 'none'; failures: readonly string[] };

export function chooseIptables(probes: readonly Probe[]): IptablesChoice {
  const working = probes.flatMap((probe) => ('listing' in probe ? [{ bin: probe.bin, table: parseNatListing(probe.listing) }] : []));
  if (working.length === 0) return { kind: 'none', failures: probes.map((probe) => `${probe.bin}: ${'failure' in probe ? probe.failure : ''}`) };
  if (probes.length === 1) return { kind: 'chosen', ...working[0], reason: 'as asked' };

  const ours = working.find(({ table }) => table.chains.has(REDIRECT_CHAIN) || table.chains.has(OUTPUT_CHAIN));
  if (ours) return { kind: 'chosen', ...ours, reason: 'it holds the rules of an earlier run' };
  const busiest = working.reduce((best, candidate) => (ruleCount(candidate.table) > ruleCount(best.table) ? candidate : best));
  if (ruleCount(busiest.table) > 0) return { kind: 'chosen', ...busiest, reason: `it holds ${ruleCount(busiest.table)} nat rules already` };
  return { kind: 'chosen', ...working[0], reason: 'no backend holds rules yet; the first that works' };
}
