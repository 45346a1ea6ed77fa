// `weft-proxy-init`: writes (or with --dry-run prints) the iptables rules that send a pod's traffic through its
// proxy. Runs once per pod, as an init container, before the app and the proxy start.
import { exitWithError } from '../../common/errors';
import { applyPlan } from './apply';
import { InitOptions, parseInitArgs, USAGE } from './options';
import { formatStep, iptablesPlan } from './rules';

const BIN = 'weft-proxy-init';

async function main(argv: readonly string[]): Promise<void> {
  const parsed = parseInitArgs(argv);
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  const { options } = parsed;
  const steps = iptablesPlan(options);
  if (options.dryRun) {
    process.stdout.write(steps.map((step) => formatStep(options.iptablesBin, step)).join('\n') + '\n');
    return;
  }
  await applyPlan(options.iptablesBin, steps);
  process.stdout.write(`${BIN}: ${summary(options)}\n`);
}

function summary(options: InitOptions): string {
  const ignored = (ports: InitOptions['inboundPortsToIgnore']) =>
    ports.map(({ first, last }) => (first === last ? `${first}` : `${first}-${last}`)).join(',') || 'none';
  return (
    `inbound TCP → :${options.incomingProxyPort} (ignoring ${ignored(options.inboundPortsToIgnore)}), ` +
    `outbound TCP → :${options.outgoingProxyPort} (ignoring ${ignored(options.outboundPortsToIgnore)}, loopback ` +
    `and UID ${options.proxyUid})`
  );
}

if (require.main === module || process.argv[1]?.endsWith('bin/weft-proxy-init.js')) {
  main(process.argv.slice(2)).catch((err) => exitWithError(BIN, err));
}
