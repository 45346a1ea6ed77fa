// weft-proxy: configuration comes from the environment only (CONTRACT.md "Proxy ports", "Other proxy env").
import { ENV } from '../common/contract';
import { exitWithError } from '../common/errors';
import { createLogger } from '../common/log';
import { runAwait } from './await';
import { loadConfig } from './config';
import { Proxy } from './proxy';

const HELP = `weft-proxy: the weft data-plane proxy.

  weft-proxy           run the proxy
  weft-proxy await     wait until the proxy is ready (a postStart hook); weft-proxy await --help

The proxy is configured by environment variables:
${Object.values(ENV)
  .map((name) => `  ${name}`)
  .join('\n')}
Durations are written 250ms, 10s, 1m; addresses host:port. See docs/contract.md.
`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig();
  const log = createLogger('weft-proxy', config.logLevel, config.logFormat);
  let proxy: Proxy | undefined;
  const stop = () => {
    if (!proxy) process.exit(0);
    void proxy.shutdown().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  proxy = await Proxy.start(config, log, stop);
}

const run = process.argv[2] === 'await' ? () => runAwait(process.argv.slice(3)) : main;
run().catch((err) => exitWithError('weft-proxy', err));
