// `weft`: one file per command under cli/commands/, each exporting `register(program)`.
import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, exitWithError } from '../common/errors';
import { registerVersion } from './commands/version';
import { registerDemo } from './commands/demo';
import { registerCerts } from './commands/certs';
import { registerInject } from './commands/inject';
import { registerUninject } from './commands/uninject';
import { registerCheck } from './commands/check';
import { registerInstall } from './commands/install';
import { registerUpgrade } from './commands/upgrade';
import { registerUninstall } from './commands/uninstall';
import { registerInstallPrometheus } from './commands/install-prometheus';
import { registerStat } from './commands/stat';
import { registerEdges } from './commands/edges';
import { registerTop } from './commands/top';
import { registerIdentity } from './commands/identity';
import { registerDiagnostics } from './commands/diagnostics';
import { registerDashboard } from './commands/dashboard';
import { registerTap } from './commands/tap';

export function buildProgram(): Command {
  const program = new Command('weft')
    .description('weft service mesh command-line interface')
    .option('--verbose', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error:/, 'weft: error:')) });
  registerVersion(program);
  registerDemo(program);
  registerCerts(program);
  registerInject(program);
  registerUninject(program);
  registerCheck(program);
  registerInstallPrometheus(registerInstall(program));
  registerUpgrade(program);
  registerUninstall(program);
  registerStat(program);
  registerEdges(program);
  registerTop(program);
  registerIdentity(program);
  registerDiagnostics(program);
  registerDashboard(program);
  registerTap(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
    exitWithError('weft', err);
  }
}

if (require.main === module || process.argv[1]?.endsWith('bin/weft.js')) void main();
