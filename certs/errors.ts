// Errors callers branch on: the identity service maps them to gRPC status codes, the CLI to exit codes.

/** The input is not a well-formed, supported certificate, CSR or key (the caller sent something wrong). */
export class CertificateInputError extends Error {
  override name = 'CertificateInputError';
}

/** The signing certificate is outside its validity: nothing can be issued until it is replaced. */
export class IssuerExpiredError extends Error {
  override name = 'IssuerExpiredError';
}

/**
 * Runs `read` over bytes from outside. A reader trusts the structure once the DER parses, so any other
 * failure inside it (a field of the wrong type, a missing element) also means the input is malformed.
 */
export function readingInput<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CertificateInputError) throw err;
    throw new CertificateInputError(`${what} is malformed (${(err as Error).message})`);
  }
}
