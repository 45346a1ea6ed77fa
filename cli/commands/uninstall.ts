// `weft uninstall`: prints what to delete (`weft uninstall | kubectl delete -f -`), the install's objects found in
// the cluster in reverse apply order (the webhook configuration first, so no pod is sent to an injector on its
// way out; the namespace last). Refused while meshed pods remain, whose proxies would lose their control plane,
// unless --force.
import { Command } from 'commander';
import { InstalledCluster } from '../install/cluster';
import { formatManifests } from '../manifests';

const SHOWN_PODS = 5;

export function registerUninstall(program: Command): void {
  program
    .command('uninstall')
    .description('print the control plane\'s objects to delete: weft uninstall | kubectl delete -f -')
    .option('--kubeconfig <file>', 'the cluster to read (default: $KUBECONFIG or ~/.kube/config)')
    .option('--force', 'print them even while meshed pods remain')
    .action(async (opts: { kubeconfig?: string; force?: boolean }) => {
      const cluster = new InstalledCluster(opts.kubeconfig);
      const meshed = await cluster.meshedPods();
      if (meshed.length > 0) {
        const named = `${meshed.slice(0, SHOWN_PODS).join(', ')}${meshed.length > SHOWN_PODS ? `, and ${meshed.length - SHOWN_PODS} more` : ''}`;
        if (!opts.force) {
          throw new Error(`${meshed.length} meshed pod(s) remain (${named}): remove their proxies first (weft uninject, or drop the weft.io/inject annotation and restart them), or pass --force`);
        }
        process.stderr.write(`warning: ${meshed.length} meshed pod(s) remain (${named}); their proxies lose the control plane\n`);
      }
      const objects = await cluster.installedObjects();
      if (objects.length === 0) process.stderr.write('nothing to delete: no object of weft was found\n');
      process.stdout.write(formatManifests([...objects].reverse()));
    });
}
