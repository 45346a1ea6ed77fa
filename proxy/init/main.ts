// `weft-proxy-init`: writes (or with --dry-run prints) the iptables rules that send a pod's traffic through its
// proxy. Runs as an init container, before the app and the proxy start; Kubernetes may run it again.
import { exitWithError } from '../../common/errors';
import { applyPlan, noUsableIptables, probeIptables } from './apply';
import { chooseIptables, iptablesCandidates } from './backend';
import { InitOptions, parseInitArgs, USAGE } from './options';
import { formatStep, iptablesPlan, OUTPUT_CHAIN, REDIRECT_CHAIN } from './rules';

const BIN = 'weft-proxy-init';

async function main(argv: readonly string[]): Promise<void> {
  const parsed = parseInitArgs(argv);
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  const { options } = parsed;
  const choice = chooseIptables(await probeIptables(iptablesCandidates(options.iptablesMode, options.iptablesBin)));
  if (choice.kind === 'none') throw noUsableIptables(choice.failures);
  const steps = iptablesPlan(options, choice.table);
  const rerun = choice.table.chains.has(REDIRECT_CHAIN) || choice.table.chains.has(OUTPUT_CHAIN);
  const using = `using ${choice.bin} (${choice.reason})${rerun ? ', rewriting the rules of an earlier run' : ''}`;
  if (options.dryRun) {
    process.stdout.write([`# ${BIN}: ${using}`, ...steps.map((step) => formatStep(choice.bin, step))].join('\n') + '\n');
    return;
  }
  await applyPlan(choice.bin, steps);
  process.stdout.write(`${BIN}: ${using}: ${summary(options)}\n`);
}

function summary(options: InitOptions): string {
  const ignored = (ports: InitOptions['inboundPortsToIgnore']) =>
    ports.map(({ first, last }) => (first === last ? `${first}` : `${first}-${last}`)).join(',') || 'none';
  const subnets = options.subnetsToIgnore.join(',') || 'none';
  return (
    `inbound TCP → :${options.incomingProxyPort} (ignoring ports ${ignored(options.inboundPortsToIgnore)}), ` +
    `outbound TCP → :${options.outgoingProxyPort} (ignoring ports ${ignored(options.outboundPortsToIgnore)}, loopback ` +
    `and UID ${options.proxyUid}), subnets ignored both ways: ${subnets}`
  );
}

main(process.argv.slice(2)).catch((err) => exitWithError(BIN, err));
