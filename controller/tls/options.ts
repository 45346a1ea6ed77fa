// How the controller's roles other than identity get their serving certificates: Certify at the identity
// service with the pod's service-account token, like a proxy. Parsed here so controller/options.ts only has
// to ask for the flags.
import { ADDRESS_FORM, HostPort, parseHostPort } from '../../common/address';
import {
  CONTROL_PLANE_NAMESPACE,
  CONTROL_PLANE_SERVICES,
  CONTROLLER_IDENTITY_ADDR,
  DEFAULT_TRUST_DOMAIN,
  TOKEN_DIR,
  TOKEN_FILE_NAME,
} from '../../common/contract';
import { UsageError } from '../../common/errors';

export interface CertifiedTlsOptions {
  kind: 'tls';
  /** Where to Certify; undefined: the identity role of this same process (`all --issuer-dir …`). */
  identitySvcAddr?: HostPort;
  tokenFile: string;
  trustAnchorsFile: string;
  /** Of the names: the role's own, and the identity service's it verifies. */
  trustDomain: string;
}

/** TLS with a certificate from Certify, or plaintext where the operator asked for it. */
export type CertifiedTls = CertifiedTlsOptions | { kind: 'plaintext' };

const DEFAULT_IDENTITY_SVC_ADDR = `${CONTROL_PLANE_SERVICES.identity.service}.${CONTROL_PLANE_NAMESPACE}.svc.cluster.local:${parseHostPort(CONTROLLER_IDENTITY_ADDR)!.port}`;
/** Where the install mounts the projected token (audience identity.weft.io), as for proxies. */
const DEFAULT_TOKEN_FILE = `${TOKEN_DIR}/${TOKEN_FILE_NAME}`;

export const CERTIFIED_TLS_FLAGS = {
  'identity-svc-addr': { type: 'string' },
  'identity-token-file': { type: 'string' },
  'trust-domain': { type: 'string' },
  'destination-plaintext': { type: 'boolean' },
} as const;

export const CERTIFIED_TLS_USAGE = `  --trust-anchors FILE       the trust anchors' PEM (ca.crt): what every TLS certificate here must chain to;
                             may hold two while an anchor is rotated (read at start)
  --identity-svc-addr ADDR   where destination gets its certificate (default: the identity role of this
                             process, or ${DEFAULT_IDENTITY_SVC_ADDR})
  --identity-token-file FILE the service-account token it proves itself with (default ${DEFAULT_TOKEN_FILE})
  --trust-domain DOMAIN      trust domain of the control plane's names (default ${DEFAULT_TRUST_DOMAIN})
  --destination-plaintext    serve destination without TLS, for proxies with identity disabled (local tests only)
`;

type Values = { [K in keyof typeof CERTIFIED_TLS_FLAGS]?: (typeof CERTIFIED_TLS_FLAGS)[K]['type'] extends 'boolean' ? boolean : string } & {
  'trust-anchors'?: string;
};

/** `inProcessIdentity`: the identity role runs in this process too, so it is the default place to Certify. */
export function parseCertifiedTls(values: Values, inProcessIdentity: boolean): CertifiedTls {
  const tlsFlags = (['identity-svc-addr', 'identity-token-file', 'trust-domain'] as const).filter((flag) => values[flag] !== undefined);
  if (values['destination-plaintext']) {
    if (tlsFlags.length > 0) throw new UsageError(`--${tlsFlags[0]} configures destination's TLS, which --destination-plaintext turns off: give one or the other`);
    return { kind: 'plaintext' };
  }
  const trustAnchorsFile = values['trust-anchors'];
  if (trustAnchorsFile === undefined) {
    throw new UsageError('destination serves TLS and needs --trust-anchors FILE (ca.crt), its certificate being checked against them; or --destination-plaintext for local tests');
  }
  const addrText = values['identity-svc-addr'] ?? (inProcessIdentity ? undefined : DEFAULT_IDENTITY_SVC_ADDR);
  const identitySvcAddr = addrText === undefined ? undefined : parseHostPort(addrText);
  if (addrText !== undefined && !identitySvcAddr) throw new UsageError(`--identity-svc-addr ${JSON.stringify(addrText)} is not valid: expected ${ADDRESS_FORM}`);
  return {
    kind: 'tls',
    identitySvcAddr,
    tokenFile: values['identity-token-file'] ?? DEFAULT_TOKEN_FILE,
    trustAnchorsFile,
    trustDomain: values['trust-domain'] ?? DEFAULT_TRUST_DOMAIN,
  };
}
