// weft-controller's command line → ControllerOptions (CONTRACT.md "Programs", "Control plane").
import { parseArgs } from 'node:util';
import { ADDRESS_FORM, HostPort, parseHostPort } from '../common/address';
import { CONTROLLER_ADMIN_ADDR, CONTROLLER_DESTINATION_ADDR } from '../common/contract';
import { UsageError } from '../common/errors';
import { LOG_LEVELS, LogFormat, LogLevel } from '../common/log';
import { IDENTITY_FLAGS, IDENTITY_USAGE, IdentityOptions, parseIdentityOptions } from './identity/options';
import { INJECTOR_FLAGS, INJECTOR_USAGE, InjectorOptions, parseInjectorOptions } from './injector/options';
import { ROLE_NAMES, RoleName } from './roles';
import { parseTapOptions, TAP_FLAGS, TAP_USAGE, TapOptions } from './tap/options';
import { CERTIFIED_TLS_FLAGS, CERTIFIED_TLS_USAGE, CertifiedTls, parseCertifiedTls } from './tls/options';

/** Where the facts come from: the Kubernetes API (a kubeconfig, or the in-cluster config) or a local file. */
export type FactsSource = { kind: 'kubernetes'; kubeconfig?: string } | { kind: 'file'; path: string };

export interface ControllerOptions {
  roles: RoleName[];
  facts: FactsSource;
  destinationAddr: HostPort;
  adminAddr: HostPort;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Present when --issuer-dir was given: required by `identity`, and what makes `all` run identity too. */
  identity?: IdentityOptions;
  /** Present when --injector-tls-dir was given: required by `injector`, and what makes `all` run it too. */
  injector?: InjectorOptions;
  /** When destination runs, how it serves: TLS with a certificate from Certify, or plaintext if asked for. */
  destinationTls?: CertifiedTls;
  /** Present when tap runs (`tap`, or `all` with --tap-token-file). */
  tap?: TapOptions;
}

export type ParsedArgs = { help: true } | { help: false; options: ControllerOptions };

export const USAGE = `Usage: weft-controller <role> [options]

The weft control plane. Roles:
  destination   service discovery for proxies: gRPC weft.destination.Destination (Get, GetProfile)
  identity      certificates for proxies: gRPC weft.identity.Identity (Certify)
  injector      the proxy injector: HTTPS POST /inject, a mutating admission webhook (Kubernetes only)
  tap           live requests from proxies, streaming what each pod's proxy taps (as weft-tap): the aggregated API
                tap.weft.io over HTTPS with Kubernetes, HTTP POST /tap with --cluster-file
  all           every role in one process (identity only with --issuer-dir, injector only with --injector-tls-dir,
                tap only with --tap-token-file)

Options:
  --kubeconfig FILE          read the cluster through this kubeconfig (default: the in-cluster config)
  --cluster-file FILE        read services from a local endpoints file instead of Kubernetes (re-read on change)
  --destination-addr ADDR    destination gRPC listen address (default ${CONTROLLER_DESTINATION_ADDR})
  --admin-addr ADDR          admin listen address: /metrics, /ready, /live (default ${CONTROLLER_ADMIN_ADDR})
${IDENTITY_USAGE}${INJECTOR_USAGE}${CERTIFIED_TLS_USAGE}${TAP_USAGE}  --log-level LEVEL          ${LOG_LEVELS.join(', ')} (default info)
  --log-format FORMAT        plain or json (default plain)
  --verbose                  print stack traces with errors
  --help                     show this help
Addresses are ${ADDRESS_FORM}.
`;

export function parseControllerArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const { values, positionals } = parse(argv);
  if (values.help) return { help: true };
  if (positionals.length !== 1) throw new UsageError(`expected one role (${[...ROLE_NAMES, 'all'].join(', ')}); see weft-controller --help`);
  const role = positionals[0];
  if (role !== 'all' && !(ROLE_NAMES as readonly string[]).includes(role)) {
    throw new UsageError(`unknown role ${JSON.stringify(role)}: expected one of ${[...ROLE_NAMES, 'all'].join(', ')}`);
  }
  if (values.kubeconfig !== undefined && values['cluster-file'] !== undefined) {
    throw new UsageError('give only one of --kubeconfig and --cluster-file');
  }
  const identity = parseIdentityOptions(values);
  if (role === 'identity' && !identity) throw new UsageError('the identity role needs --issuer-dir DIR and --trust-anchors FILE');
  const injector = parseInjectorOptions(values);
  if (role === 'injector' && !injector) throw new UsageError('the injector role needs --injector-tls-dir DIR (tls.crt and tls.key of its serving certificate)');
  const tap = role === 'tap' || role === 'all' ? parseTapOptions(values, role, role === 'all' && identity !== undefined) : undefined;
  // `all` runs the optional roles only when their options are there.
  const optional: Partial<Record<RoleName, unknown>> = { identity, injector, tap };
  const roles = role === 'all' ? ROLE_NAMES.filter((name) => !(name in optional) || optional[name]) : [role as RoleName];
  return {
    help: false,
    options: {
      identity,
      injector,
      tap,
      roles,
      destinationTls: roles.includes('destination') ? parseCertifiedTls(values, roles.includes('identity')) : undefined,
      facts: factsSource(values.kubeconfig, values['cluster-file'], env),
      destinationAddr: address('--destination-addr', values['destination-addr'] ?? CONTROLLER_DESTINATION_ADDR),
      adminAddr: address('--admin-addr', values['admin-addr'] ?? CONTROLLER_ADMIN_ADDR),
      logLevel: oneOf('--log-level', values['log-level'] ?? 'info', LOG_LEVELS),
      logFormat: oneOf('--log-format', values['log-format'] ?? 'plain', ['plain', 'json'] as const),
    },
  };
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        kubeconfig: { type: 'string' },
        'cluster-file': { type: 'string' },
        'destination-addr': { type: 'string' },
        'admin-addr': { type: 'string' },
        ...IDENTITY_FLAGS,
        ...INJECTOR_FLAGS,
        ...CERTIFIED_TLS_FLAGS,
        ...TAP_FLAGS,
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; see weft-controller --help`);
  }
}

function factsSource(kubeconfig: string | undefined, clusterFile: string | undefined, env: NodeJS.ProcessEnv): FactsSource {
  if (clusterFile !== undefined) return { kind: 'file', path: clusterFile };
  if (kubeconfig !== undefined) return { kind: 'kubernetes', kubeconfig };
  if (env.KUBERNETES_SERVICE_HOST === undefined) {
    throw new UsageError('not running in a Kubernetes pod: pass --kubeconfig FILE, or --cluster-file FILE to run without Kubernetes');
  }
  return { kind: 'kubernetes' };
}

function address(flag: string, text: string): HostPort {
  const parsed = parseHostPort(text);
  if (!parsed) throw new UsageError(`${flag} ${JSON.stringify(text)} is not valid: expected ${ADDRESS_FORM}`);
  return parsed;
}

function oneOf<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  const found = choices.find((c) => c === text);
  if (!found) throw new UsageError(`${flag} ${JSON.stringify(text)} is not valid: expected one of ${choices.join(', ')}`);
  return found;
}
