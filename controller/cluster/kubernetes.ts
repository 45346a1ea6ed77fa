// Facts from the Kubernetes API: Services, EndpointSlices and Pods followed by informers (informer.ts), kept in
// a ClusterIndex, and every change announced by the keys it touches. A periodic resync asks every listener to
// recompute from the cache, so a change that slipped through is repaired within one period.
import { AppsV1Api, BatchV1Api, CoreV1Api, DiscoveryV1Api, V1EndpointSlice, V1Job, V1Pod, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import { Clock, systemClock } from '../../common/clock';
import type { Logger } from '../../common/log';
import { WatchedKind } from './informer';
import { loadKubeConfig } from './kubeconfig';
import { intermediateOwnerFact, podFact, ServiceFact, serviceFact, sliceFact } from './kubernetes-facts';
import { ClusterIndex } from './kubernetes-index';
import { parseHostPort } from '../../common/address';
import { PROXY_TAP_ADDR } from '../../common/contract';
import type { ChangeListener, ClusterSource, PodInfo, Resolution, ServiceObjective, Target } from './types';

/** Where a meshed pod's proxy serves tap: its IP, on the default tap port the injector configures. */
const TAP_PORT = parseHostPort(PROXY_TAP_ADDR)!.port;

export interface KubernetesSourceOptions {
  /** A kubeconfig file; without one, the in-cluster service account config. */
  kubeconfig?: string;
  log: Logger;
  clock?: Clock;
  /** For the identity names of meshed pods; default cluster.local. */
  trustDomain?: string;
  resyncMs?: number;
}

const DEFAULT_RESYNC_MS = 5 * 60_000;

type Watched = V1Service | V1EndpointSlice | V1Pod | V1ReplicaSet | V1Job;

export class KubernetesSource implements ClusterSource {
  private readonly index = new ClusterIndex();
  private readonly listeners: ChangeListener[] = [];
  private readonly kinds: WatchedKind<Watched>[];
  private readonly clock: Clock;
  private resyncTimer?: NodeJS.Timeout;

  constructor(private readonly options: KubernetesSourceOptions) {
    this.clock = options.clock ?? systemClock;
    const kubeConfig = loadKubeConfig(options.kubeconfig);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const batch = kubeConfig.makeApiClient(BatchV1Api);
    const common = { kubeConfig, log: options.log, clock: this.clock };
    const services = new WatchedKind<V1Service>({
      ...common,
      what: 'services',
      path: '/api/v1/services',
      list: () => core.listServiceForAllNamespaces(),
      upsert: (s) => this.emit(this.index.setService(this.checkedObjective(serviceFact(s)))),
      remove: (s) => this.emit(this.index.deleteService(namespaceOf(s), s.metadata!.name!)),
    });
    const slices = new WatchedKind<V1EndpointSlice>({
      ...common,
      what: 'endpointslices',
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      list: () => discovery.listEndpointSliceForAllNamespaces(),
      upsert: (s) => this.emit(this.index.setSlice(namespaceOf(s), s.metadata!.name!, sliceFact(s))),
      remove: (s) => this.emit(this.index.deleteSlice(namespaceOf(s), s.metadata!.name!)),
    });
    const pods = new WatchedKind<V1Pod>({
      ...common,
      what: 'pods',
      path: '/api/v1/pods',
      list: () => core.listPodForAllNamespaces(),
      upsert: (p) => this.emit(this.index.setPod(podFact(p, options.trustDomain))),
      remove: (p) => this.emit(this.index.deletePod(namespaceOf(p), p.metadata!.name!)),
    });
    // A pod names its ReplicaSet or Job; their controllers name the Deployment or CronJob its endpoints carry.
    const replicaSets = new WatchedKind<V1ReplicaSet>({
      ...common,
      what: 'replicasets',
      path: '/apis/apps/v1/replicasets',
      list: () => apps.listReplicaSetForAllNamespaces(),
      upsert: (r) => this.emit(this.index.setOwner(intermediateOwnerFact('ReplicaSet', r))),
      remove: (r) => this.emit(this.index.deleteOwner('ReplicaSet', namespaceOf(r), r.metadata!.name!)),
    });
    const jobs = new WatchedKind<V1Job>({
      ...common,
      what: 'jobs',
      path: '/apis/batch/v1/jobs',
      list: () => batch.listJobForAllNamespaces(),
      upsert: (j) => this.emit(this.index.setOwner(intermediateOwnerFact('Job', j))),
      remove: (j) => this.emit(this.index.deleteOwner('Job', namespaceOf(j), j.metadata!.name!)),
    });
    this.kinds = [services, slices, pods, replicaSets, jobs] as WatchedKind<Watched>[];
  }

  async start(): Promise<void> {
    await Promise.all(this.kinds.map((k) => k.start()));
    this.options.log.info(this.index.counts, 'Kubernetes caches synced');
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.clock.clearTimeout(this.resyncTimer!);
    await Promise.all(this.kinds.map((k) => k.stop()));
  }

  notReadyReason(): string | undefined {
    const waiting = this.kinds.filter((k) => !k.isSynced);
    if (waiting.length === 0) return undefined;
    return `waiting for the Kubernetes API to list ${waiting.map((k) => (k.lastError ? `${k.options.what} (${k.lastError})` : k.options.what)).join(', ')}`;
  }

  resolve(target: Target): Resolution {
    return this.index.resolve(target);
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  objectives(): ServiceObjective[] {
    return this.index.objectives();
  }

  /** A service with an invalid objective keeps its routing; the objective is left out and the reason logged. */
  private checkedObjective(fact: ServiceFact): ServiceFact {
    if (fact.objective.kind === 'invalid') {
      this.options.log.warn({ service: `${fact.namespace}/${fact.name}`, error: fact.objective.reason }, 'ignoring an invalid service-level objective');
    }
    return fact;
  }

  pods(): PodInfo[] {
    return [...this.index.allPods()].map((pod) => ({
      namespace: pod.namespace,
      name: pod.name,
      workload: pod.workload,
      ip: pod.ip,
      tap: pod.identity && pod.ip ? { addr: { host: pod.ip, port: TAP_PORT }, identity: pod.identity } : undefined,
    }));
  }

  private emit(keys: ReadonlySet<string> | 'all'): void {
    if (keys !== 'all' && keys.size === 0) return;
    for (const listener of this.listeners) listener(keys);
  }

  private scheduleResync(): void {
    this.resyncTimer = this.clock.setTimeout(() => {
      this.emit('all');
      this.scheduleResync();
    }, this.options.resyncMs ?? DEFAULT_RESYNC_MS);
  }
}

function namespaceOf(object: { metadata?: { namespace?: string } }): string {
  return object.metadata?.namespace || 'default';
}
