// What the injector knows about the cluster, from the Kubernetes API: namespaces (their annotations) and the
// ConfigMap `weft-config` through informers, the API server's version from /version (cached, refreshed now and
// then), and pod owners read on demand. Every on-demand call carries the request's AbortSignal.
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Observable,
  RequestContext,
  ResponseContext,
  V1ConfigMap,
  V1Namespace,
  VersionApi,
} from '@kubernetes/client-node';
import { Clock, systemClock } from '../../common/clock';
import { MESH_CONFIG_MAP } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { NamespaceLike } from '../../injector/eligibility';
import { KubernetesVersion, parseKubernetesVersion } from '../../injector/kubernetes-version';
import { meshConfigFromConfigMap } from '../../injector/mesh-config';
import { WatchedKind } from '../cluster/informer';
import { InjectorFacts, InjectorInternalError, MeshConfigState } from './decide';
import { findOwner, Owner, OwnerReference } from './owner';

export interface KubernetesInjectorFactsOptions {
  kubeConfig: KubeConfig;
  controlPlaneNamespace: string;
  log: Logger;
  clock?: Clock;
  /** How often /version is asked again (a cluster may be upgraded under a running injector). Default 10 min. */
  versionRefreshMs?: number;
}

const DEFAULT_VERSION_REFRESH_MS = 10 * 60_000;
const VERSION_RETRY = { initialMs: 200, maxMs: 10_000 };

export class KubernetesInjectorFacts implements InjectorFacts {
  private readonly namespaces = new Map<string, NamespaceLike>();
  private mesh: MeshConfigState;
  private version?: KubernetesVersion;
  private versionTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly kinds: WatchedKind<V1Namespace | V1ConfigMap>[];
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly versionApi: VersionApi;
  private readonly clock: Clock;

  constructor(private readonly options: KubernetesInjectorFactsOptions) {
    const { kubeConfig, controlPlaneNamespace: ns, log } = options;
    this.clock = options.clock ?? systemClock;
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.versionApi = kubeConfig.makeApiClient(VersionApi);
    this.mesh = missingMeshConfig(ns);
    const common = { kubeConfig, log, clock: this.clock };
    const namespaces = new WatchedKind<V1Namespace>({
      ...common,
      what: 'namespaces',
      path: '/api/v1/namespaces',
      list: () => this.core.listNamespace(),
      upsert: (n) => this.namespaces.set(n.metadata!.name!, { metadata: { name: n.metadata!.name!, annotations: n.metadata!.annotations } }),
      remove: (n) => this.namespaces.delete(n.metadata!.name!),
    });
    // The control plane's namespace holds a handful of ConfigMaps: watching them all is simpler than a selector.
    const configMaps = new WatchedKind<V1ConfigMap>({
      ...common,
      what: `configmaps in ${ns}`,
      path: `/api/v1/namespaces/${ns}/configmaps`,
      list: () => this.core.listNamespacedConfigMap({ namespace: ns }),
      upsert: (c) => (c.metadata?.name === MESH_CONFIG_MAP ? this.setMeshConfig(c) : undefined),
      remove: (c) => (c.metadata?.name === MESH_CONFIG_MAP ? (this.mesh = missingMeshConfig(ns)) : undefined),
    });
    this.kinds = [namespaces, configMaps] as WatchedKind<V1Namespace | V1ConfigMap>[];
  }

  async start(): Promise<void> {
    await Promise.all([...this.kinds.map((k) => k.start()), this.refreshVersion()]);
    this.options.log.info(
      { namespaces: this.namespaces.size, meshConfig: this.mesh.kind, kubernetes: this.version && `${this.version.major}.${this.version.minor}` },
      'injector caches synced',
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.versionTimer!);
    await Promise.all(this.kinds.map((k) => k.stop()));
  }

  notReadyReason(): string | undefined {
    const waiting = this.kinds.filter((k) => !k.isSynced).map((k) => (k.lastError ? `${k.options.what} (${k.lastError})` : k.options.what));
    if (!this.version) waiting.push('/version');
    return waiting.length === 0 ? undefined : `waiting for the Kubernetes API: ${waiting.join(', ')}`;
  }

  meshConfig(): MeshConfigState {
    return this.mesh;
  }

  kubernetesVersion(): KubernetesVersion | undefined {
    return this.version;
  }

  /** From the informer; a namespace created a moment ago may not be there yet, so then from the API. */
  async namespace(name: string, signal: AbortSignal): Promise<NamespaceLike> {
    const known = this.namespaces.get(name);
    if (known) return known;
    try {
      const read = await this.core.readNamespace({ name }, withSignal(signal));
      return { metadata: { name, annotations: read.metadata?.annotations } };
    } catch (err) {
      throw new InjectorInternalError(`cannot read namespace ${name} (${describe(err)})`, { cause: err });
    }
  }

  async owner(references: readonly OwnerReference[] | undefined, namespace: string, signal: AbortSignal): Promise<Owner | undefined> {
    return findOwner(references, namespace, async (kind, ns, name) => {
      try {
        const read =
          kind === 'ReplicaSet'
            ? await this.apps.readNamespacedReplicaSet({ name, namespace: ns }, withSignal(signal))
            : await this.batch.readNamespacedJob({ name, namespace: ns }, withSignal(signal));
        return read.metadata?.ownerReferences ?? [];
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return undefined;
        throw new InjectorInternalError(`cannot read the pod's ${kind} ${ns}/${name} (${describe(err)})`, { cause: err });
      }
    });
  }

  private setMeshConfig(configMap: V1ConfigMap): void {
    try {
      this.mesh = { kind: 'ready', config: meshConfigFromConfigMap(configMap) };
    } catch (err) {
      this.mesh = { kind: 'unusable', problem: `the mesh config is not usable: ${(err as Error).message}` };
      this.options.log.error({ error: (err as Error).message }, 'mesh config rejected; pods are admitted without a proxy until it is fixed');
    }
  }

  /** Resolves once a version is known (retrying until then); afterwards refreshes in the background. */
  private async refreshVersion(failures = 0): Promise<void> {
    if (this.stopped) return;
    try {
      const info = await this.versionApi.getCode();
      const parsed = parseKubernetesVersion(info);
      if (!parsed) throw new Error(`it reports ${JSON.stringify({ major: info.major, minor: info.minor, gitVersion: info.gitVersion })}`);
      this.version = parsed;
      this.versionTimer = this.clock.setTimeout(() => void this.refreshVersion(), this.options.versionRefreshMs ?? DEFAULT_VERSION_REFRESH_MS);
    } catch (err) {
      const delay = this.version ? (this.options.versionRefreshMs ?? DEFAULT_VERSION_REFRESH_MS) : Math.min(VERSION_RETRY.maxMs, VERSION_RETRY.initialMs * 2 ** failures);
      this.options.log.warn({ error: describe(err), retryInMs: delay }, 'cannot read the Kubernetes version from /version');
      // Before the first answer start() waits on this; afterwards the last known version stays in force.
      if (this.version) this.versionTimer = this.clock.setTimeout(() => void this.refreshVersion(), delay);
      else await new Promise<void>((resolve) => (this.versionTimer = this.clock.setTimeout(resolve, delay))).then(() => this.refreshVersion(failures + 1));
    }
  }
}

function missingMeshConfig(ns: string): MeshConfigState {
  return { kind: 'unusable', problem: `there is no ConfigMap ${ns}/${MESH_CONFIG_MAP} with the mesh config: run \`weft install\`` };
}

/** Per-call client-node options that abort the HTTP request with `signal`. */
function withSignal(signal: AbortSignal) {
  const middleware = {
    pre: (context: RequestContext) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' as const };
}

function describe(err: unknown): string {
  if (err instanceof ApiException) return `HTTP ${err.code}`;
  return err instanceof Error ? err.message : String(err);
}
