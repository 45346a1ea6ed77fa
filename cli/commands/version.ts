import { Command } from 'commander';
import { version } from '../../package.json';

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('print the version of the weft CLI')
    .action(() => {
      process.stdout.write(`weft ${version}\n`);
    });
}
