// The local endpoints file (CONTRACT.md "Local endpoints file"): YAML or JSON, one entry per authority.
// Used by the proxy's file discovery source and the controller's local cluster source.
import { parseDocument } from 'yaml';
import { HostPort, parseHostPort } from './address';
import { PROXY_WORKLOAD_KINDS, ProxyWorkloadKind } from './contract';
import { parseDuration } from './duration';
import { Objective, parseObjective } from './slo';
import { describeYamlError } from './yaml-error';

export interface FileEndpoint {
  addr: HostPort;
  /** Identity of the peer proxy: originate mTLS to it. */
  identity?: string;
  /** `h2`: the peer is a weft proxy, so HTTP/1 may travel to it over h2. */
  protocol?: 'h2';
  labels: Record<string, string>;
}

export interface RetrySpec {
  http?: string;
  grpc?: string;
  limit?: number;
  timeoutMs?: number;
  /** Methods that may be retried besides the idempotent ones: `all`, or a list like `POST,PATCH`. */
  methods?: string;
}

export interface FileService {
  authority: string;
  endpoints: FileEndpoint[];
  retry?: RetrySpec;
  timeoutMs?: number;
  /** The service's objectives: the same keys and meaning as the slo.weft.io/* annotations. */
  slo?: Objective;
}

/**
 * A pod whose proxy `weft-controller tap` can reach, in local mode (the file stands in for the Kubernetes pod
 * list): `deploy/web` taps the pods whose `workload` is `deployment/web`.
 */
export interface FilePod {
  name: string;
  namespace: string;
  /** `<kind>/<name>` in the file, kind one of PROXY_WORKLOAD_KINDS (those of the `weft.io/proxy-<kind>` label). */
  workload?: { kind: ProxyWorkloadKind; name: string };
  /** The proxy's tap address (its WEFT_PROXY_TAP_LISTEN_ADDR). */
  tap: HostPort;
  /** The proxy's identity name: tap verifies it, and `--from` matches callers by it. */
  identity: string;
}

export interface EndpointsFileDocument {
  services: FileService[];
  /** The `pods:` list: optional, read only by the controller's tap role. */
  pods: FilePod[];
}

export class EndpointsFileError extends Error {
  override name = 'EndpointsFileError';
}

/** Parses the file's text; throws EndpointsFileError naming the line and column, or the entry, that is wrong. */
export function parseEndpointsFile(text: string, source = 'endpoints file'): FileService[] {
  return parseEndpointsFileDocument(text, source).services;
}

/** The whole file: its services and, when it has them, its pods. */
export function parseEndpointsFileDocument(text: string, source = 'endpoints file'): EndpointsFileDocument {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new EndpointsFileError(describeYamlError(source, doc.errors[0]));
  }
  const root = doc.toJS() as unknown;
  const where = (path: string) => `${source}: ${path}`;
  if (root === null || root === undefined) return { services: [], pods: [] };
  if (typeof root !== 'object' || !Array.isArray((root as { services?: unknown }).services)) {
    throw new EndpointsFileError(where('expected a top-level `services:` list'));
  }
  const { services, pods = [] } = root as { services: unknown[]; pods?: unknown };
  if (!Array.isArray(pods)) throw new EndpointsFileError(where('`pods:` must be a list'));
  return {
    services: services.map((entry, i) => parseService(entry, `services[${i}]`, where)),
    pods: pods.map((entry, i) => parsePod(entry, `pods[${i}]`, where)),
  };
}

function parsePod(entry: unknown, path: string, where: (p: string) => string): FilePod {
  const e = asObject(entry, path, where);
  const text = (field: string): string => {
    const value = e[field];
    if (typeof value !== 'string' || value === '') throw new EndpointsFileError(where(`${path}.${field} must be a non-empty string`));
    return value;
  };
  const tap = parseHostPort(text('tap'));
  if (!tap) throw new EndpointsFileError(where(`${path}.tap must be host:port, got ${JSON.stringify(e.tap)}`));
  const pod: FilePod = { name: text('name'), namespace: text('namespace'), tap, identity: text('identity') };
  if (e.workload !== undefined) {
    const [kind, name, ...rest] = text('workload').split('/');
    if (!(PROXY_WORKLOAD_KINDS as readonly string[]).includes(kind) || !name || rest.length > 0) {
      throw new EndpointsFileError(where(`${path}.workload must be <kind>/<name> with kind one of ${PROXY_WORKLOAD_KINDS.join(', ')}, got ${JSON.stringify(e.workload)}`));
    }
    pod.workload = { kind: kind as ProxyWorkloadKind, name };
  }
  return pod;
}

function parseService(entry: unknown, path: string, where: (p: string) => string): FileService {
  const e = asObject(entry, path, where);
  const authority = e.authority;
  if (typeof authority !== 'string' || !parseHostPort(authority)) {
    throw new EndpointsFileError(where(`${path}.authority must be host:port, got ${JSON.stringify(authority)}`));
  }
  const endpoints = e.endpoints ?? [];
  if (!Array.isArray(endpoints)) throw new EndpointsFileError(where(`${path}.endpoints must be a list`));
  const service: FileService = {
    authority: authority.toLowerCase(),
    endpoints: endpoints.map((ep, j) => parseEndpoint(ep, `${path}.endpoints[${j}]`, where)),
  };
  if (e.retry !== undefined) service.retry = parseRetry(e.retry, `${path}.retry`, where);
  if (e.timeout !== undefined) service.timeoutMs = duration(e.timeout, `${path}.timeout`, where);
  if (e.slo !== undefined) service.slo = parseSlo(e.slo, `${path}.slo`, where);
  return service;
}

/** `slo: { success-rate: "99.9", latency: "300ms@99", window: 30d }`. */
function parseSlo(entry: unknown, path: string, where: (p: string) => string): Objective {
  const e = asObject(entry, path, where);
  const text = (key: string) => (e[key] === undefined ? undefined : String(e[key]));
  const known = new Set(['success-rate', 'latency', 'window']);
  const unknown = Object.keys(e).find((key) => !known.has(key));
  if (unknown !== undefined) throw new EndpointsFileError(where(`${path}.${unknown} is not an objective: expected success-rate, latency or window`));
  const parsed = parseObjective(
    { successRate: text('success-rate'), latency: text('latency'), window: text('window') },
    { successRate: `${path}.success-rate`, latency: `${path}.latency`, window: `${path}.window` },
  );
  if (parsed.kind === 'invalid') throw new EndpointsFileError(where(parsed.reason));
  if (parsed.kind === 'none') throw new EndpointsFileError(where(`${path} sets no objective: give success-rate, latency or both`));
  return parsed.objective;
}

function parseEndpoint(entry: unknown, path: string, where: (p: string) => string): FileEndpoint {
  const e = asObject(entry, path, where);
  const addr = typeof e.addr === 'string' ? parseHostPort(e.addr) : undefined;
  if (!addr) throw new EndpointsFileError(where(`${path}.addr must be host:port, got ${JSON.stringify(e.addr)}`));
  const endpoint: FileEndpoint = { addr, labels: {} };
  if (e.identity !== undefined) {
    if (typeof e.identity !== 'string') throw new EndpointsFileError(where(`${path}.identity must be a string`));
    endpoint.identity = e.identity;
  }
  if (e.protocol !== undefined) {
    if (e.protocol !== 'h2') throw new EndpointsFileError(where(`${path}.protocol must be h2 when set`));
    endpoint.protocol = 'h2';
  }
  if (e.labels !== undefined) {
    const labels = asObject(e.labels, `${path}.labels`, where);
    for (const [k, v] of Object.entries(labels)) endpoint.labels[k] = String(v);
  }
  return endpoint;
}

function parseRetry(entry: unknown, path: string, where: (p: string) => string): RetrySpec {
  const e = asObject(entry, path, where);
  const retry: RetrySpec = {};
  if (e.http !== undefined) retry.http = String(e.http);
  if (e.grpc !== undefined) retry.grpc = String(e.grpc);
  if (e.methods !== undefined) retry.methods = String(e.methods);
  if (e.limit !== undefined) {
    if (!Number.isInteger(e.limit) || (e.limit as number) < 0) {
      throw new EndpointsFileError(where(`${path}.limit must be a whole number`));
    }
    retry.limit = e.limit as number;
  }
  if (e.timeout !== undefined) retry.timeoutMs = duration(e.timeout, `${path}.timeout`, where);
  return retry;
}

function duration(value: unknown, path: string, where: (p: string) => string): number {
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined) throw new EndpointsFileError(where(`${path} must be a duration like 10s, got ${JSON.stringify(value)}`));
  return ms;
}

function asObject(value: unknown, path: string, where: (p: string) => string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EndpointsFileError(where(`${path} must be a mapping`));
  }
  return value as Record<string, unknown>;
}
