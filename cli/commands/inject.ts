// `weft inject FILE|-`: meshes the workloads of a manifest. By default it only annotates each pod template with
// `weft.io/inject: enabled` and leaves the rest to the webhook; `--manual` writes the whole patch the webhook would.
import * as fs from 'node:fs';
import { Command } from 'commander';
import { CONTROL_PLANE_NAMESPACE, DEFAULT_TRUST_DOMAIN, INJECT } from '../../common/contract';
import { applyJsonPatch } from '../../common/json-patch';
import { UsageError } from '../../common/errors';
import { podBlocker, PodLike } from '../../injector/eligibility';
import { inject } from '../../injector/inject';
import { KubernetesVersion, parseKubernetesVersion } from '../../injector/kubernetes-version';
import { DEFAULT_PROXY_IMAGE, MeshConfig, MeshConfigError, parseMeshConfig, readMeshConfigMap, readMeshConfigYaml } from '../../injector/mesh-config';
import { version as WEFT_VERSION } from '../../package.json';
import { ChangeTemplate, formatManifests, KubeObject, parseManifests, readManifestText, transformWorkloads } from '../manifests';

interface InjectOptions {
  manual?: boolean;
  namespace: string;
  meshConfig?: string;
  trustAnchors?: string;
  proxyImage?: string;
  proxyVersion?: string;
  controlPlaneNamespace?: string;
  trustDomain?: string;
  kubernetesVersion?: string;
}

const MANUAL_ONLY: ReadonlyArray<[keyof InjectOptions, string]> = [
  ['meshConfig', '--mesh-config'],
  ['trustAnchors', '--trust-anchors'],
  ['proxyImage', '--proxy-image'],
  ['proxyVersion', '--proxy-version'],
  ['trustDomain', '--trust-domain'],
  ['kubernetesVersion', '--kubernetes-version'],
];

export function registerInject(program: Command): void {
  program
    .command('inject')
    .description(`mesh the workloads in a manifest: adds ${INJECT}: enabled to each pod template (the injector does the rest), or with --manual the whole proxy`)
    .argument('<file>', 'manifest file (YAML or JSON, several documents and Lists allowed), or - for stdin')
    .option('--manual', 'write the proxy, weft-init and the identity volumes into the manifest instead of the annotation')
    .option('-n, --namespace <namespace>', 'namespace of the objects that name none', 'default')
    .option('--mesh-config <file>', "--manual: the mesh config: weft-config's config.yaml, or the ConfigMap itself")
    .option('--trust-anchors <file>', "--manual: the trust anchors' PEM (ca.crt of `weft certs anchor`); needed unless --mesh-config holds them")
    .option('--proxy-image <image>', `--manual: the proxy image without tag (default ${DEFAULT_PROXY_IMAGE})`)
    .option('--proxy-version <tag>', `--manual: the proxy image's tag (default ${WEFT_VERSION})`)
    .option('--control-plane-namespace <namespace>', `the control plane's namespace, never meshed (default ${CONTROL_PLANE_NAMESPACE})`)
    .option('--trust-domain <domain>', `--manual: the mesh's trust domain (default ${DEFAULT_TRUST_DOMAIN})`)
    .option('--kubernetes-version <version>', '--manual: the cluster\'s version, e.g. 1.29; from 1.29 the proxy is a native sidecar (default: a classic sidecar)')
    .action((file: string, opts: InjectOptions) => {
      const objects = parseManifests(readManifestText(file), file === '-' ? 'stdin' : file);
      const change = opts.manual ? manualInjection(opts) : annotation(opts);
      const result = transformWorkloads(objects, change, (line) => process.stderr.write(`${line}\n`));
      process.stdout.write(formatManifests(result));
    });
}

const namespaceOf = (object: KubeObject, opts: InjectOptions) => object.metadata?.namespace ?? opts.namespace;

/** An `ingress` the template already asks for stays; anything else becomes `enabled`. */
function annotated(template: PodLike): PodLike {
  const mode = template.metadata?.annotations?.[INJECT] === 'ingress' ? 'ingress' : 'enabled';
  return { ...template, metadata: { ...template.metadata, annotations: { ...template.metadata?.annotations, [INJECT]: mode } } };
}

function annotation(opts: InjectOptions): ChangeTemplate {
  const given = MANUAL_ONLY.find(([key]) => opts[key] !== undefined);
  if (given) throw new UsageError(`${given[1]} applies to --manual only: add --manual, or leave ${given[1]} out`);
  const controlPlane = opts.controlPlaneNamespace ?? CONTROL_PLANE_NAMESPACE;
  return (object, template) => {
    const blocker = podBlocker(template, namespaceOf(object, opts), controlPlane);
    if (blocker) return { outcome: `skipped: ${blocker.reason}: ${blocker.detail}` };
    return { template: annotated(template), outcome: 'injected' };
  };
}

function manualInjection(opts: InjectOptions): ChangeTemplate {
  const mesh = meshConfigFromFlags(opts);
  const kubernetesVersion = kubernetesVersionFlag(opts.kubernetesVersion);
  return (object, template) => {
    const pod = annotated(template);
    const owner = object.kind === 'Pod' ? undefined : { kind: object.kind!, name: object.metadata?.name ?? '' };
    const result = inject({ pod, owner, namespace: { metadata: { name: namespaceOf(object, opts) } }, mesh, kubernetesVersion });
    if (result.kind === 'skipped') return { outcome: `skipped: ${result.reason}: ${result.detail}` };
    return { template: applyJsonPatch(pod, result.patch), outcome: 'injected', warnings: result.warnings };
  };
}

function kubernetesVersionFlag(text: string | undefined): KubernetesVersion | undefined {
  if (text === undefined) return undefined;
  const version = parseKubernetesVersion({ gitVersion: text });
  if (!version) throw new UsageError(`--kubernetes-version ${JSON.stringify(text)} is not valid: expected a version such as 1.29 or v1.30.2`);
  return version;
}

function readFlagFile(file: string, flag: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** --mesh-config: the mesh config itself, or the ConfigMap `weft-config` that holds it. */
function meshConfigFile(file: string): { raw: unknown; source: string } {
  const read = readMeshConfigYaml(readFlagFile(file, '--mesh-config'), file);
  if (isMap(read) && read.kind === 'ConfigMap') return readMeshConfigMap(read);
  return { raw: read, source: file };
}

/** The mesh config of --mesh-config with the other flags on top; every problem named, as a usage error. */
function meshConfigFromFlags(opts: InjectOptions): MeshConfig {
  try {
    const { raw, source } = opts.meshConfig ? meshConfigFile(opts.meshConfig) : { raw: {}, source: 'the mesh config flags' };
    if (!isMap(raw)) return parseMeshConfig(raw, source); // says what is wrong with it
    const fields: Record<string, unknown> = { ...raw };
    if (opts.trustAnchors) fields.trustAnchorsPem = readFlagFile(opts.trustAnchors, '--trust-anchors');
    if (opts.controlPlaneNamespace) fields.controlPlaneNamespace = opts.controlPlaneNamespace;
    if (opts.trustDomain) fields.trustDomain = opts.trustDomain;
    const proxy: Record<string, unknown> = isMap(raw.proxy) ? { ...raw.proxy } : {};
    if (opts.proxyImage) fields.proxy = Object.assign(proxy, { image: opts.proxyImage });
    if (opts.proxyVersion) fields.proxy = Object.assign(proxy, { version: opts.proxyVersion });
    return parseMeshConfig(fields, source);
  } catch (err) {
    if (!(err instanceof MeshConfigError)) throw err;
    throw new UsageError(`--manual needs a valid mesh config: ${err.message}; pass --trust-anchors FILE, or --mesh-config FILE`);
  }
}
