// The identity role's flags (CONTRACT.md "Certificates from the CLI", "Control plane"), parsed here so that
// controller/options.ts only has to ask for them.
import { ADDRESS_FORM, HostPort, parseHostPort } from '../../common/address';
import { CONTROLLER_IDENTITY_ADDR, ISSUER_FILES, KUBERNETES_TLS_FILES } from '../../common/contract';
import { DURATION_FORM, parseDuration } from '../../common/duration';
import { UsageError } from '../../common/errors';

export interface IdentityOptions {
  addr: HostPort;
  issuerDir: string;
  trustAnchorsFile: string;
  /** Local mode only: the secret local service-account tokens are signed with. */
  tokenSecretFile?: string;
  /** How long issued leaves are valid (default 24 h). */
  leafLifetimeMs?: number;
}

export const IDENTITY_FLAGS = {
  'identity-addr': { type: 'string' },
  'issuer-dir': { type: 'string' },
  'trust-anchors': { type: 'string' },
  'token-secret-file': { type: 'string' },
  'issuance-lifetime': { type: 'string' },
} as const;

export const IDENTITY_USAGE = `  --identity-addr ADDR       identity gRPC listen address (default ${CONTROLLER_IDENTITY_ADDR})
  --issuer-dir DIR           ${ISSUER_FILES.cert} + ${ISSUER_FILES.key} from \`weft certs issuer\`, or ${KUBERNETES_TLS_FILES.cert} + ${KUBERNETES_TLS_FILES.key}
                             of a mounted kubernetes.io/tls Secret; re-read on change
  --token-secret-file FILE   local mode: secret that local service-account tokens are signed with
  --issuance-lifetime DUR    how long issued proxy certificates are valid (${DURATION_FORM}; default 24h)
`;

type IdentityFlagValues = { [K in keyof typeof IDENTITY_FLAGS]?: string };

/**
 * The identity options, or undefined when no --issuer-dir was given (then `all` runs without the identity
 * role). Throws when they are incomplete or malformed.
 */
export function parseIdentityOptions(values: IdentityFlagValues): IdentityOptions | undefined {
  if (values['issuer-dir'] === undefined) {
    const stray = (['token-secret-file', 'issuance-lifetime'] as const).find((flag) => values[flag] !== undefined);
    if (stray) throw new UsageError(`--${stray} belongs to the identity role, which also needs --issuer-dir DIR`);
    return undefined;
  }
  if (values['trust-anchors'] === undefined) throw new UsageError('--issuer-dir needs --trust-anchors FILE (the ca.crt the issuer chains to)');
  const addrText = values['identity-addr'] ?? CONTROLLER_IDENTITY_ADDR;
  const addr = parseHostPort(addrText);
  if (!addr) throw new UsageError(`--identity-addr ${JSON.stringify(addrText)} is not valid: expected ${ADDRESS_FORM}`);
  const lifetimeText = values['issuance-lifetime'];
  const leafLifetimeMs = lifetimeText === undefined ? undefined : parseDuration(lifetimeText);
  if (leafLifetimeMs !== undefined && leafLifetimeMs < 1000) throw new UsageError(`--issuance-lifetime ${lifetimeText} is too short: at least 1s`);
  if (lifetimeText !== undefined && leafLifetimeMs === undefined) throw new UsageError(`--issuance-lifetime ${JSON.stringify(lifetimeText)} is not valid: expected ${DURATION_FORM}`);
  return { addr, issuerDir: values['issuer-dir'], trustAnchorsFile: values['trust-anchors'], tokenSecretFile: values['token-secret-file'], leafLifetimeMs };
}
