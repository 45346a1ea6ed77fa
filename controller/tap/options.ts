// The tap role's flags (CONTRACT.md "Control plane"), parsed here so controller/options.ts only has to ask for
// them. Tap always speaks mTLS to proxies, so it always needs its certificate: the same Certify options as
// destination's (controller/tls/options.ts), with its own token, since it proves another service account.
import { ADDRESS_FORM, HostPort, parseHostPort } from '../../common/address';
import { CONTROL_PLANE_SERVICES, CONTROLLER_TAP_ADDR, TAP_API_SERVICE } from '../../common/contract';
import { UsageError } from '../../common/errors';
import { CertifiedTlsOptions, parseCertifiedTls } from '../tls/options';

export interface TapOptions {
  addr: HostPort;
  tls: CertifiedTlsOptions;
  /** tls.crt + tls.key of the aggregated API's serving certificate (a mounted Secret); required with Kubernetes. */
  servingTlsDir?: string;
}

export const TAP_FLAGS = {
  'tap-addr': { type: 'string' },
  'tap-token-file': { type: 'string' },
  'tap-tls-dir': { type: 'string' },
} as const;

export const TAP_USAGE = `  --tap-addr ADDR            tap HTTP listen address, where \`weft tap\` connects (default ${CONTROLLER_TAP_ADDR})
  --tap-token-file FILE      the token tap proves ${CONTROL_PLANE_SERVICES.tap.serviceAccount} with (default: --identity-token-file's);
                             with \`all\`, tap runs only when this is given
  --tap-tls-dir DIR          tls.crt + tls.key: the serving certificate of tap's aggregated API (${TAP_API_SERVICE});
                             required with Kubernetes, re-read on change
`;

type Values = { [K in keyof typeof TAP_FLAGS]?: string } & Parameters<typeof parseCertifiedTls>[0];

/**
 * The tap options, or undefined when `all` runs without tap (no --tap-token-file). `role` is the role asked for:
 * `tap` itself needs them, `all` only when --tap-token-file says so.
 */
export function parseTapOptions(values: Values, role: 'tap' | 'all', inProcessIdentity: boolean): TapOptions | undefined {
  if (role === 'all' && values['tap-token-file'] === undefined) {
    if (values['tap-addr'] !== undefined || values['tap-tls-dir'] !== undefined) throw new UsageError(`--${values['tap-addr'] !== undefined ? 'tap-addr' : 'tap-tls-dir'} configures the tap role, which \`all\` runs only with --tap-token-file FILE (the token it proves weft-tap with)`);
    return undefined;
  }
  if (values['trust-anchors'] === undefined) throw new UsageError('tap speaks mTLS to proxies and needs --trust-anchors FILE (ca.crt), what their certificates chain to');
  const tokenFile = values['tap-token-file'] ?? values['identity-token-file'];
  const tls = parseCertifiedTls({ ...values, 'destination-plaintext': undefined, 'identity-token-file': tokenFile }, inProcessIdentity) as CertifiedTlsOptions;
  const addrText = values['tap-addr'] ?? CONTROLLER_TAP_ADDR;
  const addr = parseHostPort(addrText);
  if (!addr) throw new UsageError(`--tap-addr ${JSON.stringify(addrText)} is not valid: expected ${ADDRESS_FORM}`);
  return { addr, tls, servingTlsDir: values['tap-tls-dir'] };
}
