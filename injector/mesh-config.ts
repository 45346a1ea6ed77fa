// The mesh config: what the ConfigMap `weft-config` (key `config.yaml`) holds and the injector reads. Every field
// but the trust anchors has a default; a field that is wrong, or one nobody knows, is named with its path and the
// form expected, all of them at once.
import * as net from 'node:net';
import YAML from 'yaml';
import { parseCertificates } from '../certs';
import { ADDRESS_FORM, parseHostPort } from '../common/address';
import {
  CONTROL_PLANE_NAMESPACE,
  CONTROL_PLANE_SERVICES,
  CONTROLLER_DESTINATION_ADDR,
  CONTROLLER_IDENTITY_ADDR,
  DEFAULT_TRUST_DOMAIN,
  identityName,
  MESH_CONFIG_KEY,
  MESH_CONFIG_MAP,
} from '../common/contract';
import { yamlErrorParts } from '../common/yaml-error';
import { LOG_LEVELS, LogFormat, LogLevel } from '../common/log';
import { version as WEFT_VERSION } from '../package.json';

export interface ControlPlaneService {
  /** host:port the proxy dials. */
  addr: string;
  /** The identity the service's TLS certificate must carry. */
  name: string;
}

export interface MeshConfig {
  trustDomain: string;
  /** The cluster's DNS domain, for the control plane's Service names. */
  clusterDomain: string;
  controlPlaneNamespace: string;
  proxy: { image: string; version: string; logLevel: LogLevel; logFormat: LogFormat };
  identity: ControlPlaneService;
  destination: ControlPlaneService;
  /** The pod and service networks of the cluster (CIDRs), for [install] and the proxy's discovery. */
  clusterNetworks: string[];
  trustAnchorsPem: string;
}

export const DEFAULT_PROXY_IMAGE = 'ghcr.io/weft/proxy';
/** Linkerd's default: the private IPv4 ranges, carrier-grade NAT and IPv6 unique-local addresses. */
export const DEFAULT_CLUSTER_NETWORKS: readonly string[] = ['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.168.0.0/16', 'fd00::/8'];

/** The mesh config was not usable: every problem, each naming its field. */
export class MeshConfigError extends Error {
  override name = 'MeshConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problems.join('; ')}`, options);
  }
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A repository without tag or digest: the tag is `proxy.version`. */
const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*$/;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads fields off the raw object, records what is wrong, and remembers which keys it was asked about. */
class FieldReader {
  constructor(
    private readonly raw: Record<string, unknown>,
    readonly problems: string[] = [],
    private readonly prefix = '',
  ) {}

  string(key: string, fallback: string, check: (v: string) => boolean, form: string): string {
    const value = this.raw[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || !check(value)) {
      this.problems.push(`${this.prefix}${key}: expected ${form}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  }

  section(key: string): FieldReader {
    const value = this.raw[key];
    if (value !== undefined && value !== null && !isObject(value)) this.problems.push(`${this.prefix}${key}: expected a map, got ${JSON.stringify(value)}`);
    return new FieldReader(isObject(value) ? value : {}, this.problems, `${this.prefix}${key}.`);
  }

  unknownKeys(known: readonly string[]): void {
    for (const key of Object.keys(this.raw)) {
      if (!known.includes(key)) this.problems.push(`${this.prefix}${key}: unknown field; the fields here are ${known.join(', ')}`);
    }
  }

  get(key: string): unknown {
    return this.raw[key];
  }

  problem(key: string, text: string): void {
    this.problems.push(`${this.prefix}${key}: ${text}`);
  }
}

const TOP_FIELDS = ['trustDomain', 'clusterDomain', 'controlPlaneNamespace', 'proxy', 'identity', 'destination', 'clusterNetworks', 'trustAnchorsPem'] as const;

/** The typed mesh config from its raw form (parsed YAML or JSON); throws MeshConfigError listing every problem. */
export function parseMeshConfig(raw: unknown, source = MESH_CONFIG_MAP): MeshConfig {
  if (!isObject(raw)) throw new MeshConfigError(source, [`expected a map of fields (${TOP_FIELDS.join(', ')}), got ${JSON.stringify(raw)}`]);
  const top = new FieldReader(raw);
  top.unknownKeys(TOP_FIELDS);
  const dns = (v: string) => DNS_NAME.test(v);
  const trustDomain = top.string('trustDomain', DEFAULT_TRUST_DOMAIN, dns, `a lower-case DNS name such as ${DEFAULT_TRUST_DOMAIN}`);
  const clusterDomain = top.string('clusterDomain', 'cluster.local', dns, 'a lower-case DNS name such as cluster.local');
  const ns = top.string('controlPlaneNamespace', CONTROL_PLANE_NAMESPACE, (v) => DNS_LABEL.test(v), `a namespace name such as ${CONTROL_PLANE_NAMESPACE}`);

  const proxySection = top.section('proxy');
  proxySection.unknownKeys(['image', 'version', 'logLevel', 'logFormat']);
  const proxy = {
    image: proxySection.string('image', DEFAULT_PROXY_IMAGE, (v) => IMAGE_REPOSITORY.test(v), `an image repository without tag such as ${DEFAULT_PROXY_IMAGE} (the tag is proxy.version)`),
    version: proxySection.string('version', WEFT_VERSION, (v) => IMAGE_TAG.test(v), `an image tag such as ${WEFT_VERSION}`),
    logLevel: proxySection.string('logLevel', 'warn', (v) => (LOG_LEVELS as readonly string[]).includes(v), `one of ${LOG_LEVELS.join(', ')}`) as LogLevel,
    logFormat: proxySection.string('logFormat', 'plain', (v) => v === 'plain' || v === 'json', 'plain or json') as LogFormat,
  };

  const service = (key: 'identity' | 'destination', listen: string) => {
    const names = CONTROL_PLANE_SERVICES[key];
    const section = top.section(key);
    section.unknownKeys(['addr', 'name']);
    return {
      addr: section.string('addr', `${names.service}.${ns}.svc.${clusterDomain}:${parseHostPort(listen)!.port}`, (v) => parseHostPort(v) !== undefined, ADDRESS_FORM),
      name: section.string('name', identityName(names.serviceAccount, ns, trustDomain, ns), dns, 'the identity name its certificate carries'),
    };
  };
  const identity = service('identity', CONTROLLER_IDENTITY_ADDR);
  const destination = service('destination', CONTROLLER_DESTINATION_ADDR);

  const clusterNetworks = readClusterNetworks(top);
  const trustAnchorsPem = readTrustAnchors(top);
  if (top.problems.length > 0) throw new MeshConfigError(source, top.problems);
  return { trustDomain, clusterDomain, controlPlaneNamespace: ns, proxy, identity, destination, clusterNetworks, trustAnchorsPem };
}

function readClusterNetworks(top: FieldReader): string[] {
  const value = top.get('clusterNetworks');
  if (value === undefined || value === null) return [...DEFAULT_CLUSTER_NETWORKS];
  if (!Array.isArray(value)) {
    top.problem('clusterNetworks', `expected a list of CIDRs such as [10.0.0.0/8], got ${JSON.stringify(value)}`);
    return [];
  }
  value.forEach((item, i) => {
    if (!isCidr(item)) top.problem(`clusterNetworks[${i}]`, `expected a CIDR such as 10.0.0.0/8 or fd00::/8, got ${JSON.stringify(item)}`);
  });
  return value as string[];
}

function isCidr(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  const family = m ? net.isIP(m[1]) : 0;
  return family !== 0 && Number(m![2]) <= (family === 4 ? 32 : 128);
}

function readTrustAnchors(top: FieldReader): string {
  const pem = top.get('trustAnchorsPem');
  const hint = 'the PEM text of the trust anchors (ca.crt from `weft certs anchor`)';
  if (typeof pem !== 'string' || pem.trim() === '') {
    top.problem('trustAnchorsPem', pem === undefined ? `required: ${hint}` : `expected ${hint}, got ${JSON.stringify(pem)}`);
    return '';
  }
  try {
    const anchors = parseCertificates(pem);
    if (anchors.length === 0) top.problem('trustAnchorsPem', `holds no certificate: give ${hint}`);
    const notCa = anchors.find((a) => !a.isCA);
    if (notCa) top.problem('trustAnchorsPem', `${notCa.subject} is not a CA certificate: give ${hint}`);
  } catch (err) {
    top.problem('trustAnchorsPem', `does not parse (${(err as Error).message}): give ${hint}`);
  }
  return pem;
}

/** YAML (or JSON) text as the raw object parseMeshConfig reads; a syntax error names its line and column. */
export function readMeshConfigYaml(text: string, source: string): unknown {
  const doc = YAML.parseDocument(text);
  const [error] = doc.errors;
  if (error) {
    const { line, col, what } = yamlErrorParts(error);
    throw new MeshConfigError(source, [`YAML syntax error at line ${line}, column ${col}: ${what}`], { cause: error });
  }
  return doc.toJS();
}

export function parseMeshConfigYaml(text: string, source: string): MeshConfig {
  return parseMeshConfig(readMeshConfigYaml(text, source), source);
}

interface ConfigMapLike {
  metadata?: { name?: string; namespace?: string };
  data?: Record<string, string>;
}

/** The raw mesh config held by the ConfigMap `weft-config`, and a name for it in errors. */
export function readMeshConfigMap(configMap: ConfigMapLike): { raw: unknown; source: string } {
  const name = `ConfigMap ${configMap.metadata?.namespace ?? CONTROL_PLANE_NAMESPACE}/${configMap.metadata?.name ?? MESH_CONFIG_MAP}`;
  const text = configMap.data?.[MESH_CONFIG_KEY];
  if (text === undefined) throw new MeshConfigError(name, [`has no data key ${MESH_CONFIG_KEY}: \`weft install\` writes the mesh config there`]);
  const source = `${name} key ${MESH_CONFIG_KEY}`;
  return { raw: readMeshConfigYaml(text, source), source };
}

/** The mesh config from the ConfigMap `weft-config` as the API returns it. */
export function meshConfigFromConfigMap(configMap: ConfigMapLike): MeshConfig {
  const { raw, source } = readMeshConfigMap(configMap);
  return parseMeshConfig(raw, source);
}
