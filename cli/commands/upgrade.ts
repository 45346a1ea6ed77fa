// `weft upgrade`: the install rendered again by this weft, with the values the cluster's install was given
// (flags on top) and the identity it holds (trust roots, issuer, webhook certificate), so proxies and the API
// server keep trusting the control plane: `weft upgrade | kubectl apply -f -`.
import { Command } from 'commander';
import { addInstallFlags, givenValues, installPlan, InstallFlags, suppliedCertificates } from '../install/flags';
import { InstalledCluster } from '../install/cluster';
import { renderInstall } from '../install/render';
import { resolveValues } from '../install/values';
import { formatManifests } from '../manifests';

export function registerUpgrade(program: Command): void {
  addInstallFlags(
    program
      .command('upgrade')
      .description('print the control plane of this weft, keeping the installed values and identity secrets: weft upgrade | kubectl apply -f -')
      .option('--kubeconfig <file>', 'the cluster to read (default: $KUBECONFIG or ~/.kube/config)'),
  ).action(async (opts: InstallFlags & { kubeconfig?: string }) => {
    const cluster = new InstalledCluster(opts.kubeconfig);
    const given = givenValues(opts, await cluster.keptValues());
    const kept = await cluster.keptCertificates(resolveValues(given)['identity.externalIssuer']);
    process.stdout.write(formatManifests(renderInstall(installPlan(given, suppliedCertificates(opts, kept)))));
  });
}
