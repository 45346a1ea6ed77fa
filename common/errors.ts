// Every bin exits 0 on success, 1 on a runtime failure, 2 on a usage error, and prints one line
// `<bin>: error: …` saying what was wrong and what to do (CONTRACT.md "Programs").

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the program was called or configured: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function exitWithError(bin: string, err: unknown, verbose = process.argv.includes('--verbose')): never {
  const usage = err instanceof UsageError;
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${bin}: error: ${message}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(usage ? EXIT_USAGE : EXIT_FAILURE);
}
