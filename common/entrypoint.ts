// Spawning our own modules (the demo starts proxies, tests start controllers) must work both from the
// TypeScript sources (through tsx) and from the compiled dist/ tree, with one way to ask for either.
import * as path from 'node:path';

const RUNNING_FROM_SOURCE = __filename.endsWith('.ts');
const ROOT = path.resolve(__dirname, '..');

/** Node arguments that run `module` (a path from the repository root without extension, e.g. `proxy/main`). */
export function nodeArgsFor(module: string): string[] {
  // tsx is resolved from this install, not from the caller's working directory.
  return RUNNING_FROM_SOURCE ? ['--require', require.resolve('tsx/cjs'), path.join(ROOT, `${module}.ts`)] : [path.join(ROOT, `${module}.js`)];
}

export const REPO_ROOT = RUNNING_FROM_SOURCE ? ROOT : path.resolve(ROOT, '..');
