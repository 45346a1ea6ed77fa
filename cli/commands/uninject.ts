// `weft uninject FILE|-`: takes out of a manifest's workloads what `weft inject` (either mode) put in.
import { Command } from 'commander';
import { uninject } from '../../injector/uninject';
import { formatManifests, parseManifests, readManifestText, transformWorkloads } from '../manifests';

export function registerUninject(program: Command): void {
  program
    .command('uninject')
    .description('remove the proxy, weft-init, the identity volumes and weft\'s labels and annotations from the workloads in a manifest')
    .argument('<file>', 'manifest file (YAML or JSON, several documents and Lists allowed), or - for stdin')
    .action((file: string) => {
      const objects = parseManifests(readManifestText(file), file === '-' ? 'stdin' : file);
      const result = transformWorkloads(
        objects,
        (_object, template) => {
          const { pod, changed } = uninject(template);
          return changed ? { template: pod, outcome: 'uninjected' } : { outcome: 'skipped: not injected' };
        },
        (line) => process.stderr.write(`${line}\n`),
      );
      process.stdout.write(formatManifests(result));
    });
}
