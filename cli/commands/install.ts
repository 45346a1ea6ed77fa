// `weft install`: prints every object of the control plane in apply order (`weft install | kubectl apply -f -`),
// or with --output-dir writes them as a Kustomize base. The command is returned so that subcommands
// (`weft install prometheus`) can be added to it.
import { Command } from 'commander';
import { addInstallFlags, givenValues, installPlan, InstallFlags, suppliedCertificates } from '../install/flags';
import { writeKustomizeBase } from '../install/kustomize';
import { renderInstall } from '../install/render';
import { formatManifests } from '../manifests';

export function registerInstall(program: Command): Command {
  return addInstallFlags(
    program
      .command('install')
      .description('print the control plane\'s objects in apply order: weft install | kubectl apply -f -')
      .option('--output-dir <dir>', 'write a Kustomize base there instead (certificates under certs/: keep them out of git)'),
  ).action((opts: InstallFlags & { outputDir?: string }) => {
    const objects = renderInstall(installPlan(givenValues(opts), suppliedCertificates(opts)));
    if (opts.outputDir === undefined) {
      process.stdout.write(formatManifests(objects));
      return;
    }
    const files = writeKustomizeBase(opts.outputDir, objects);
    process.stderr.write(`wrote ${files.length} files of a Kustomize base into ${opts.outputDir}: kubectl apply -k ${opts.outputDir}\n`);
  });
}
