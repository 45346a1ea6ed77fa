// The cluster as discovery sees it: services, their EndpointSlices and the pods behind them, indexed for
// answering a Target, and for telling which targets a change touches (the change keys of types.ts).
import { EndpointLabel, proxyWorkloadKind } from '../../common/contract';
import { findOwnerNow } from '../injector/owner';
import type { IntermediateOwnerFact, PodFact, ServiceFact, SliceEndpointFact, SliceFact } from './kubernetes-facts';
import { EndpointFact, ipKey, Resolution, ServiceObjective, serviceKey, Target } from './types';

const objectKey = (namespace: string, name: string) => `${namespace}/${name}`;
const ownerKey = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

export class ClusterIndex {
  private readonly services = new Map<string, ServiceFact>();
  private readonly servicesByIp = new Map<string, ServiceFact>();
  /** service key → slice name → slice. */
  private readonly slicesByService = new Map<string, Map<string, SliceFact>>();
  /** namespace/slice → the slice as last stored (its owning service may change with its labels). */
  private readonly slices = new Map<string, SliceFact>();
  private readonly pods = new Map<string, PodFact>();
  private readonly podsByIp = new Map<string, PodFact>();
  /** namespace/pod → service key → how many slice endpoints of that service name the pod. */
  private readonly podReferences = new Map<string, Map<string, number>>();
  /** Kind/namespace/name → the ReplicaSets and Jobs, whose controllers name the workload of their pods. */
  private readonly owners = new Map<string, IntermediateOwnerFact>();
  /** Kind/namespace/name of a ReplicaSet or Job → the pods it controls (namespace/pod). */
  private readonly podsByOwner = new Map<string, Set<string>>();

  get counts(): { services: number; slices: number; pods: number } {
    return { services: this.services.size, slices: this.slices.size, pods: this.pods.size };
  }

  /** Every pod as last stored. */
  allPods(): IterableIterator<PodFact> {
    return this.pods.values();
  }

  setService(fact: ServiceFact): Set<string> {
    const key = objectKey(fact.namespace, fact.name);
    const changed = this.deleteService(fact.namespace, fact.name);
    this.services.set(key, fact);
    for (const ip of fact.clusterIPs) this.servicesByIp.set(ip, fact);
    return this.keysOfService(fact.namespace, fact.name, changed);
  }

  deleteService(namespace: string, name: string): Set<string> {
    const changed = this.keysOfService(namespace, name);
    const old = this.services.get(objectKey(namespace, name));
    if (old) for (const ip of old.clusterIPs) if (this.servicesByIp.get(ip) === old) this.servicesByIp.delete(ip);
    this.services.delete(objectKey(namespace, name));
    return changed;
  }

  /** `fact` undefined: the slice exists but discovery does not use it (it may have before). */
  setSlice(namespace: string, name: string, fact: SliceFact | undefined): Set<string> {
    const changed = this.deleteSlice(namespace, name);
    if (!fact) return changed;
    const svc = serviceKey(namespace, fact.service);
    this.slices.set(objectKey(namespace, name), fact);
    let byName = this.slicesByService.get(svc);
    if (!byName) this.slicesByService.set(svc, (byName = new Map()));
    byName.set(name, fact);
    this.countReferences(fact, svc, +1);
    return this.keysOfService(namespace, fact.service, changed);
  }

  deleteSlice(namespace: string, name: string): Set<string> {
    const old = this.slices.get(objectKey(namespace, name));
    if (!old) return new Set();
    const svc = serviceKey(namespace, old.service);
    this.slices.delete(objectKey(namespace, name));
    const byName = this.slicesByService.get(svc);
    byName?.delete(name);
    if (byName?.size === 0) this.slicesByService.delete(svc);
    this.countReferences(old, svc, -1);
    return this.keysOfService(namespace, old.service);
  }

  setPod(fact: PodFact): Set<string> {
    const changed = this.deletePod(fact.namespace, fact.name);
    const key = objectKey(fact.namespace, fact.name);
    this.pods.set(key, fact);
    if (fact.ip) {
      this.podsByIp.set(fact.ip, fact);
      changed.add(ipKey(fact.ip));
    }
    const owner = podOwnerKey(fact);
    if (owner) {
      let pods = this.podsByOwner.get(owner);
      if (!pods) this.podsByOwner.set(owner, (pods = new Set()));
      pods.add(key);
    }
    return changed;
  }

  deletePod(namespace: string, name: string): Set<string> {
    const key = objectKey(namespace, name);
    const changed = new Set<string>();
    const old = this.pods.get(key);
    if (!old) return changed;
    this.keysOfPod(key, old, changed);
    this.pods.delete(key);
    if (old.ip && this.podsByIp.get(old.ip) === old) this.podsByIp.delete(old.ip);
    const owner = podOwnerKey(old);
    const siblings = owner === undefined ? undefined : this.podsByOwner.get(owner);
    siblings?.delete(key);
    if (owner !== undefined && siblings?.size === 0) this.podsByOwner.delete(owner);
    return changed;
  }

  /** A ReplicaSet or Job: its pods' endpoints change only when its controller does (not on status updates). */
  setOwner(fact: IntermediateOwnerFact): Set<string> {
    const key = ownerKey(fact.kind, fact.namespace, fact.name);
    const old = this.owners.get(key);
    this.owners.set(key, fact);
    const same = old && old.controller?.kind === fact.controller?.kind && old.controller?.name === fact.controller?.name && old.controller?.apiVersion === fact.controller?.apiVersion;
    return same ? new Set() : this.keysOfOwnedPods(key);
  }

  deleteOwner(kind: IntermediateOwnerFact['kind'], namespace: string, name: string): Set<string> {
    const key = ownerKey(kind, namespace, name);
    if (!this.owners.delete(key)) return new Set();
    return this.keysOfOwnedPods(key);
  }

  /**
   * A pod's endpoint labels beyond namespace/service/pod: its workload (its `weft.io/proxy-<kind>` label when
   * injected, else its owner references, through a ReplicaSet or Job as the injector reads them) and its
   * service account.
   */
  workloadLabels(pod: PodFact): Partial<Record<EndpointLabel, string>> {
    const labels: Partial<Record<EndpointLabel, string>> = { serviceaccount: pod.serviceAccount };
    if (pod.workload) return { [pod.workload.kind]: pod.workload.name, ...labels };
    const owner = findOwnerNow(pod.controller && [pod.controller], pod.namespace, (kind, ns, name) => {
      const fact = this.owners.get(ownerKey(kind, ns, name));
      return fact && (fact.controller ? [fact.controller] : []);
    });
    const kind = owner && proxyWorkloadKind(owner.kind);
    return kind ? { [kind]: owner!.name, ...labels } : labels;
  }

  resolve(target: Target): Resolution {
    switch (target.kind) {
      case 'service':
        return this.resolveService(target.namespace, target.name, target.port, target.hostname);
      case 'ip':
        return this.resolveIp(target.ip, target.port);
      case 'name':
        return { kind: 'external', addr: { host: target.host, port: target.port } };
    }
  }

  private resolveService(namespace: string, name: string, port: number, hostname?: string): Resolution {
    const service = this.services.get(objectKey(namespace, name));
    if (!service) return { kind: 'unknown' };
    if (service.externalName !== undefined) return { kind: 'external', addr: { host: service.externalName, port } };
    // A service without ports (headless) sends every port to its pods as asked.
    const servicePort = service.ports.length === 0 ? undefined : service.ports.find((p) => p.port === port);
    if (service.ports.length > 0 && !servicePort) return { kind: 'endpoints', endpoints: [], policy: service.policy };
    const endpoints = new Map<string, EndpointFact>();
    for (const slice of this.slicesByService.get(serviceKey(namespace, name))?.values() ?? []) {
      const targetPort = servicePort ? slice.ports.find((p) => p.name === servicePort.name)?.port : port;
      if (targetPort === undefined) continue;
      for (const endpoint of slice.endpoints) {
        if (!endpoint.ready || (hostname !== undefined && !isNamed(endpoint, hostname))) continue;
        const pod = endpoint.pod === undefined ? undefined : this.pods.get(objectKey(namespace, endpoint.pod));
        for (const ip of endpoint.addresses) {
          const key = `${ip}:${targetPort}`;
          if (!endpoints.has(key)) endpoints.set(key, this.endpointFact(ip, targetPort, { namespace, service: name, pod: endpoint.pod }, pod));
        }
      }
    }
    return { kind: 'endpoints', endpoints: [...endpoints.values()], policy: service.policy };
  }

  private resolveIp(ip: string, port: number): Resolution {
    const service = this.servicesByIp.get(ip);
    if (service) return this.resolveService(service.namespace, service.name, port);
    const pod = this.podsByIp.get(ip);
    if (!pod) return { kind: 'unknown' };
    return { kind: 'endpoints', endpoints: [this.endpointFact(ip, port, { namespace: pod.namespace, pod: pod.name }, pod)], policy: {} };
  }

  objectives(): ServiceObjective[] {
    return [...this.services.values()].flatMap((s) =>
      s.objective.kind === 'objective' ? [{ namespace: s.namespace, service: s.name, objective: s.objective.objective }] : [],
    );
  }

  private endpointFact(ip: string, port: number, labels: Partial<Record<EndpointLabel, string>>, pod: PodFact | undefined): EndpointFact {
    const all = pod ? { ...this.workloadLabels(pod), ...labels } : labels;
    const defined: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) if (v !== undefined) defined[k] = v;
    const fact: EndpointFact = { addr: { host: ip, port }, labels: defined, opaquePorts: pod?.opaquePorts ?? [] };
    if (pod?.identity) fact.identity = pod.identity;
    if (pod?.meshed) fact.protocolHint = 'h2';
    return fact;
  }

  /** The change keys of a pod: its IP's and those of the services whose slices name it, added to `into`. */
  private keysOfPod(key: string, pod: PodFact, into: Set<string>): Set<string> {
    if (pod.ip) into.add(ipKey(pod.ip));
    for (const svc of this.podReferences.get(key)?.keys() ?? []) {
      const [ns, svcName] = svc.slice('svc:'.length).split('/');
      this.keysOfService(ns, svcName, into);
    }
    return into;
  }

  private keysOfOwnedPods(owner: string): Set<string> {
    const changed = new Set<string>();
    for (const key of this.podsByOwner.get(owner) ?? []) this.keysOfPod(key, this.pods.get(key)!, changed);
    return changed;
  }

  /** The change keys of a service: its own and its cluster IPs', added to `into`. */
  private keysOfService(namespace: string, name: string, into = new Set<string>()): Set<string> {
    into.add(serviceKey(namespace, name));
    for (const ip of this.services.get(objectKey(namespace, name))?.clusterIPs ?? []) into.add(ipKey(ip));
    return into;
  }

  private countReferences(slice: SliceFact, svc: string, delta: 1 | -1): void {
    for (const endpoint of slice.endpoints) {
      if (endpoint.pod === undefined) continue;
      const podKey = objectKey(slice.namespace, endpoint.pod);
      let bySvc = this.podReferences.get(podKey);
      if (!bySvc) this.podReferences.set(podKey, (bySvc = new Map()));
      const count = (bySvc.get(svc) ?? 0) + delta;
      if (count > 0) bySvc.set(svc, count);
      else bySvc.delete(svc);
      if (bySvc.size === 0) this.podReferences.delete(podKey);
    }
  }
}

function isNamed(endpoint: SliceEndpointFact, hostname: string): boolean {
  return endpoint.hostname === hostname || (endpoint.hostname === undefined && endpoint.pod === hostname);
}

/** The ReplicaSet or Job that controls a pod, as owners' keys are written; undefined for any other controller. */
function podOwnerKey(pod: PodFact): string | undefined {
  const kind = pod.controller?.kind;
  return kind === 'ReplicaSet' || kind === 'Job' ? ownerKey(kind, pod.namespace, pod.controller!.name) : undefined;
}
