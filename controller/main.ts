// weft-controller: `weft-controller destination|identity|injector|all [options]` (see options.ts for the flags).
import { exitWithError } from '../common/errors';
import { createLogger } from '../common/log';
import { Controller, startController } from './controller';
import { parseControllerArgs, USAGE } from './options';

async function main(): Promise<void> {
  const parsed = parseControllerArgs(process.argv.slice(2));
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  const { options } = parsed;
  const log = createLogger('weft-controller', options.logLevel, options.logFormat);
  let controller: Controller | undefined;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (!controller) process.exit(0);
    controller.close().then(
      () => process.exit(0),
      (err) => exitWithError('weft-controller', err),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  controller = await startController(options, log);
}

main().catch((err) => exitWithError('weft-controller', err));
