// env → typed Config. The only file in proxy/ that reads process.env. A bad value stops start-up with one
// line naming the variable and the accepted form (exit 2 via UsageError).
import { ADDRESS_FORM, HostPort, parseHostPort } from '../common/address';
import {
  DEFAULT_OPAQUE_PORTS,
  ENV,
  PROXY_ADMIN_ADDR,
  PROXY_INBOUND_ADDR,
  PROXY_OUTBOUND_ADDR,
  PROXY_TAP_ADDR,
} from '../common/contract';
import { DURATION_FORM, parseDuration } from '../common/duration';
import { UsageError } from '../common/errors';
import { LOG_LEVELS, LogFormat, LogLevel } from '../common/log';
import { parsePortList, PORT_LIST_FORM } from '../common/port-list';

export { parsePortList };

export type DestinationSource = { kind: 'file'; path: string } | { kind: 'grpc'; addr: HostPort; contextToken: string } | { kind: 'none' };

export interface IdentityConfig {
  disabled: boolean;
  svcAddr?: HostPort;
  dir?: string;
  tokenFile?: string;
  localName?: string;
  trustAnchorsPem?: string;
}

export interface Config {
  outboundAddr: HostPort;
  inboundAddr: HostPort;
  adminAddr: HostPort;
  tapAddr: HostPort;
  logLevel: LogLevel;
  logFormat: LogFormat;
  destination: DestinationSource;
  identity: IdentityConfig;
  /** Where inbound traffic goes when the connection has no original destination (no iptables). */
  inboundAppAddr?: HostPort;
  inboundOpaquePorts: ReadonlySet<number>;
  outboundOpaquePorts: ReadonlySet<number>;
  outboundConnectTimeoutMs: number;
  inboundConnectTimeoutMs: number;
  detectProtocolTimeoutMs: number;
  shutdownGracePeriodMs: number;
  httpHeaderTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  const destinationFile = read.string(ENV.destinationFile);
  const destinationSvc = read.address(ENV.destinationSvcAddr);
  if (destinationFile !== undefined && destinationSvc !== undefined) {
    throw new UsageError(`set only one of ${ENV.destinationFile} and ${ENV.destinationSvcAddr}`);
  }
  return {
    outboundAddr: read.address(ENV.outboundListenAddr) ?? parseHostPort(PROXY_OUTBOUND_ADDR)!,
    inboundAddr: read.address(ENV.inboundListenAddr) ?? parseHostPort(PROXY_INBOUND_ADDR)!,
    adminAddr: read.address(ENV.adminListenAddr) ?? parseHostPort(PROXY_ADMIN_ADDR)!,
    tapAddr: read.address(ENV.tapListenAddr) ?? parseHostPort(PROXY_TAP_ADDR)!,
    logLevel: read.oneOf(ENV.log, LOG_LEVELS) ?? 'warn',
    logFormat: read.oneOf(ENV.logFormat, ['plain', 'json'] as const) ?? 'plain',
    destination: destinationFile
      ? { kind: 'file', path: destinationFile }
      : destinationSvc
        ? { kind: 'grpc', addr: destinationSvc, contextToken: read.string(ENV.destinationContext) ?? '' }
        : { kind: 'none' },
    identity: {
      disabled: read.boolean(ENV.identityDisabled) ?? false,
      svcAddr: read.address(ENV.identitySvcAddr),
      dir: read.string(ENV.identityDir),
      tokenFile: read.string(ENV.identityTokenFile),
      localName: read.string(ENV.identityLocalName),
      trustAnchorsPem: read.string(ENV.identityTrustAnchors),
    },
    inboundAppAddr: read.address(ENV.inboundAppAddr),
    inboundOpaquePorts: read.ports(ENV.inboundOpaquePorts) ?? new Set(DEFAULT_OPAQUE_PORTS),
    outboundOpaquePorts: read.ports(ENV.outboundOpaquePorts) ?? new Set(DEFAULT_OPAQUE_PORTS),
    outboundConnectTimeoutMs: read.duration(ENV.outboundConnectTimeout) ?? 1000,
    inboundConnectTimeoutMs: read.duration(ENV.inboundConnectTimeout) ?? 1000,
    detectProtocolTimeoutMs: read.duration(ENV.detectProtocolTimeout) ?? 10_000,
    shutdownGracePeriodMs: read.duration(ENV.shutdownGracePeriod) ?? 30_000,
    httpHeaderTimeoutMs: read.duration(ENV.httpHeaderTimeout) ?? 10_000,
  };
}

class EnvReader {
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  address(name: string): HostPort | undefined {
    return this.parse(name, parseHostPort, ADDRESS_FORM);
  }

  duration(name: string): number | undefined {
    return this.parse(name, parseDuration, DURATION_FORM);
  }

  boolean(name: string): boolean | undefined {
    return this.parse(name, (v) => ({ true: true, false: false })[v.toLowerCase()], 'true or false');
  }

  oneOf<T extends string>(name: string, choices: readonly T[]): T | undefined {
    return this.parse(name, (v) => choices.find((c) => c === v.toLowerCase()), `one of ${choices.join(', ')}`);
  }

  /** `25,587,8000-8100`; an empty list is written as a single comma-free blank, i.e. unset. */
  ports(name: string): Set<number> | undefined {
    return this.parse(name, parsePortList, PORT_LIST_FORM);
  }

  private parse<T>(name: string, parse: (v: string) => T | undefined, form: string): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const parsed = parse(value);
    if (parsed === undefined) throw new UsageError(`${name}=${JSON.stringify(value)} is not valid: expected ${form}`);
    return parsed;
  }
}
