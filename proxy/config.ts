// env → typed Config. The only file in proxy/ that reads process.env. A bad value stops start-up with one
// line naming the variable and the accepted form (exit 2 via UsageError).
import * as fs from 'node:fs';
import { ADDRESS_FORM, HostPort, parseHostPort } from '../common/address';
import {
  controlPlaneNameBeside,
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
import { PEER_POOL_LIMITS } from './http/peer-pool-limits';

export { parsePortList };

export type DestinationSource = { kind: 'file'; path: string } | { kind: 'grpc'; addr: HostPort; contextToken: string; tls: ControlPlaneTls } | { kind: 'none' };

/**
 * How the proxy talks to a control-plane service: TLS verifying `name` against the trust anchors, or plaintext,
 * which only the destination service allows and only when identity is disabled and no name is set.
 */
export type ControlPlaneTls = { kind: 'tls'; name: string; trustAnchorsPem: string } | { kind: 'plaintext'; why: string };

/** Node's timers hold at most 2^31−1 ms; a longer duration would fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;
/** A discovery file larger than this is refused: it is read whole on every change. */
export const MAX_DESTINATION_FILE_BYTES = 16 * 1024 * 1024;

export interface IdentityConfig {
  disabled: boolean;
  svcAddr?: HostPort;
  dir?: string;
  tokenFile?: string;
  localName?: string;
  trustAnchorsPem?: string;
  /** The name the identity service's certificate must carry: WEFT_PROXY_IDENTITY_SVC_NAME, or the one beside localName. */
  svcName?: string;
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
  /** The app's ports (WEFT_PROXY_INBOUND_PORTS); empty: any port but the proxy's own. */
  inboundPorts: ReadonlySet<number>;
  /** HTTP/1 request header lines at most (the client's, not those weft adds); more gets 431. */
  httpMaxHeaders: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS advertised to apps. */
  http2MaxConcurrentStreams: number;
  /** An entry of a cache keyed by endpoints or peers is evicted after this long unused. */
  idleCacheTimeoutMs: number;
  /** HTTP/1.1 to a peer proxy: connections at most, and requests waiting for one before 503 load-shed. */
  outboundPeerMaxConnections: number;
  outboundPeerMaxQueued: number;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  const destinationFile = read.string(ENV.destinationFile);
  const destinationSvc = read.address(ENV.destinationSvcAddr);
  if (destinationFile !== undefined && destinationSvc !== undefined) {
    throw new UsageError(`set only one of ${ENV.destinationFile} and ${ENV.destinationSvcAddr}`);
  }
  if (destinationFile !== undefined) checkDestinationFile(destinationFile);
  const ownIdentity: IdentityConfig = {
    disabled: read.boolean(ENV.identityDisabled) ?? false,
    svcAddr: read.address(ENV.identitySvcAddr),
    dir: read.string(ENV.identityDir),
    tokenFile: read.string(ENV.identityTokenFile),
    localName: read.string(ENV.identityLocalName),
    trustAnchorsPem: read.string(ENV.identityTrustAnchors),
  };
  const identity: IdentityConfig = { ...ownIdentity, svcName: read.string(ENV.identitySvcName) ?? besideLocalName('identity', ownIdentity) };
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
        ? { kind: 'grpc', addr: destinationSvc, contextToken: read.json(ENV.destinationContext) ?? '', tls: destinationTls(read.string(ENV.destinationSvcName), identity) }
        : { kind: 'none' },
    identity,
    inboundAppAddr: read.address(ENV.inboundAppAddr),
    inboundOpaquePorts: read.ports(ENV.inboundOpaquePorts) ?? new Set(DEFAULT_OPAQUE_PORTS),
    outboundOpaquePorts: read.ports(ENV.outboundOpaquePorts) ?? new Set(DEFAULT_OPAQUE_PORTS),
    // Zero would switch these protections off (wait forever, or never wait): refused.
    outboundConnectTimeoutMs: read.duration(ENV.outboundConnectTimeout, { min: 1 }) ?? 1000,
    inboundConnectTimeoutMs: read.duration(ENV.inboundConnectTimeout, { min: 1 }) ?? 1000,
    detectProtocolTimeoutMs: read.duration(ENV.detectProtocolTimeout, { min: 1 }) ?? 10_000,
    shutdownGracePeriodMs: read.duration(ENV.shutdownGracePeriod) ?? 30_000,
    httpHeaderTimeoutMs: read.duration(ENV.httpHeaderTimeout, { min: 1 }) ?? 10_000,
    inboundPorts: read.ports(ENV.inboundPorts) ?? new Set(),
    httpMaxHeaders: read.integer(ENV.httpMaxHeaders, 1, 10_000) ?? 100,
    http2MaxConcurrentStreams: read.integer(ENV.http2MaxConcurrentStreams, 1, 2 ** 31 - 1) ?? 100,
    idleCacheTimeoutMs: read.duration(ENV.idleCacheTimeout, { min: 1 }) ?? 600_000,
    outboundPeerMaxConnections: read.integer(ENV.outboundPeerMaxConnections, 1, 100_000) ?? PEER_POOL_LIMITS.maxConnections,
    outboundPeerMaxQueued: read.integer(ENV.outboundPeerMaxQueued, 0, 1_000_000) ?? PEER_POOL_LIMITS.maxQueued,
  };
}

/** The control-plane name in the proxy's own mesh (its control-plane namespace and trust domain), if identity is on. */
function besideLocalName(service: 'identity' | 'destination', identity: IdentityConfig): string | undefined {
  return identity.disabled || identity.localName === undefined ? undefined : controlPlaneNameBeside(service, identity.localName);
}

/**
 * TLS whenever the proxy knows what to verify; plaintext only when identity is disabled and no name is set, so
 * an operator who turned identity off gets the plaintext they asked for and anyone else never falls back to it.
 */
function destinationTls(svcName: string | undefined, identity: IdentityConfig): ControlPlaneTls {
  const name = svcName ?? besideLocalName('destination', identity);
  if (name === undefined && identity.disabled) return { kind: 'plaintext', why: `${ENV.identityDisabled}=true and no ${ENV.destinationSvcName}` };
  if (name === undefined) {
    throw new UsageError(`${ENV.destinationSvcName} is needed: the destination service's certificate must carry it, and it cannot be derived from ${ENV.identityLocalName}${identity.localName === undefined ? ' (unset)' : `=${JSON.stringify(identity.localName)}`}`);
  }
  if (identity.trustAnchorsPem === undefined) throw new UsageError(`${ENV.destinationSvcName} needs ${ENV.identityTrustAnchors}: the anchors the destination service's certificate must chain to`);
  return { kind: 'tls', name, trustAnchorsPem: identity.trustAnchorsPem };
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

  /** At most 2^31−1 ms (Node's timer limit); `min: 1` where zero would switch a protection off. */
  duration(name: string, { min = 0 } = {}): number | undefined {
    const form = min > 0 ? `${DURATION_FORM}, above zero and at most ${MAX_DURATION_MS}ms` : `${DURATION_FORM}, at most ${MAX_DURATION_MS}ms`;
    return this.parse(name, (v) => inRange(parseDuration(v), min, MAX_DURATION_MS), form);
  }

  integer(name: string, min: number, max: number): number | undefined {
    return this.parse(name, (v) => (/^\d+$/.test(v) ? inRange(Number(v), min, max) : undefined), `a whole number from ${min} to ${max}`);
  }

  /** Kept as the text it is, once it is known to parse as JSON. */
  json(name: string): string | undefined {
    return this.parse(
      name,
      (v) => {
        try {
          JSON.parse(v);
          return v;
        } catch {
          return undefined;
        }
      },
      'JSON, e.g. {"ns":"default"}',
    );
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

function inRange(n: number | undefined, min: number, max: number): number | undefined {
  return n !== undefined && n >= min && n <= max ? n : undefined;
}

/** The file must be there as a regular file of bounded size: a directory or a device would hang the watcher. */
function checkDestinationFile(path: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (err) {
    throw new UsageError(`${ENV.destinationFile}=${JSON.stringify(path)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!stat.isFile()) throw new UsageError(`${ENV.destinationFile}=${JSON.stringify(path)} is not a regular file`);
  if (stat.size > MAX_DESTINATION_FILE_BYTES) {
    throw new UsageError(`${ENV.destinationFile}=${JSON.stringify(path)} is ${stat.size} bytes: at most ${MAX_DESTINATION_FILE_BYTES} (16 MiB) is accepted`);
  }
}
