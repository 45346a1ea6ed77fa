// Kubernetes objects → the few facts discovery needs, checked on the way in: a watch event whose object does
// not make sense (an address that is not an IP, a bad weft annotation) is refused with a reason instead of
// poisoning what the proxies are told. Errors are FactError or AnnotationError (annotations.ts).
import * as net from 'node:net';
import type { V1EndpointSlice, V1Job, V1Pod, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import { identityName, PROXY_VERSION, PROXY_WORKLOAD_KINDS, proxyWorkloadLabel, ProxyWorkloadKind } from '../../common/contract';
import type { ObjectiveParse } from '../../common/slo';
import { controllerOf, type OwnerReference } from '../injector/owner';
import { opaquePorts, routePolicy, serviceObjective } from './annotations';
import type { RoutePolicy } from './types';

export class FactError extends Error {
  override name = 'FactError';
}

export interface PodFact {
  namespace: string;
  name: string;
  ip?: string;
  /** Set when the pod runs a weft proxy (it carries weft.io/proxy-version). */
  identity?: string;
  meshed: boolean;
  opaquePorts: readonly number[];
  /** The workload its `weft.io/proxy-<kind>` label names (injected pods carry it). */
  workload?: { kind: ProxyWorkloadKind; name: string };
  /** Its managing controller (a ReplicaSet, StatefulSet, …): where its workload is found when it has no such label. */
  controller?: OwnerReference;
  /** spec.serviceAccountName: its endpoints' `serviceaccount` label. */
  serviceAccount: string;
}

/** A ReplicaSet or Job, as far as discovery cares: the controller that manages it (its Deployment or CronJob). */
export interface IntermediateOwnerFact {
  kind: 'ReplicaSet' | 'Job';
  namespace: string;
  name: string;
  controller?: OwnerReference;
}

export interface PortFact {
  /** '' for an unnamed port. */
  name: string;
  port: number;
}

export interface ServiceFact {
  namespace: string;
  name: string;
  externalName?: string;
  clusterIPs: readonly string[];
  ports: readonly PortFact[];
  policy: RoutePolicy;
  objective: ObjectiveParse;
}

export interface SliceEndpointFact {
  addresses: readonly string[];
  ready: boolean;
  hostname?: string;
  pod?: string;
}

export interface SliceFact {
  namespace: string;
  name: string;
  service: string;
  ports: readonly PortFact[];
  endpoints: readonly SliceEndpointFact[];
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function podFact(pod: V1Pod, trustDomain?: string): PodFact {
  const { namespace, name } = identify(pod.metadata);
  const ip = pod.status?.podIP || undefined;
  if (ip !== undefined && !net.isIP(ip)) throw new FactError(`status.podIP ${JSON.stringify(ip)} is not an IP address`);
  const annotations = pod.metadata?.annotations;
  const meshed = annotations?.[PROXY_VERSION] !== undefined;
  const serviceAccount = pod.spec?.serviceAccountName || 'default';
  const fact: PodFact = { namespace, name, ip, meshed, opaquePorts: opaquePorts(annotations), serviceAccount };
  if (meshed) fact.identity = identityName(serviceAccount, namespace, trustDomain);
  const labels = pod.metadata?.labels ?? {};
  const kind = PROXY_WORKLOAD_KINDS.find((k) => labels[proxyWorkloadLabel(k)]);
  if (kind) fact.workload = { kind, name: labels[proxyWorkloadLabel(kind)] };
  const controller = controllerOf(pod.metadata?.ownerReferences as OwnerReference[] | undefined);
  if (controller) fact.controller = ownerReference(controller);
  return fact;
}

export function intermediateOwnerFact(kind: IntermediateOwnerFact['kind'], object: V1ReplicaSet | V1Job): IntermediateOwnerFact {
  const controller = controllerOf(object.metadata?.ownerReferences as OwnerReference[] | undefined);
  return { kind, ...identify(object.metadata), ...(controller ? { controller: ownerReference(controller) } : {}) };
}

/** Only the fields owner.ts reads: a cached object keeps no more of Kubernetes' reference than that. */
function ownerReference(r: OwnerReference): OwnerReference {
  return { apiVersion: r.apiVersion, kind: r.kind, name: r.name, controller: r.controller };
}

export function serviceFact(service: V1Service): ServiceFact {
  const { namespace, name } = identify(service.metadata);
  const spec = service.spec ?? {};
  const ports = (spec.ports ?? []).map((p, i) => portFact(p.name, p.port, `spec.ports[${i}]`));
  const clusterIPs = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== 'None');
  for (const ip of clusterIPs) if (!net.isIP(ip)) throw new FactError(`spec.clusterIP ${JSON.stringify(ip)} is not an IP address`);
  const annotations = service.metadata?.annotations;
  const fact: ServiceFact = { namespace, name, clusterIPs, ports, policy: routePolicy(annotations), objective: serviceObjective(annotations) };
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) throw new FactError('an ExternalName service needs spec.externalName');
    fact.externalName = spec.externalName.replace(/\.$/, '');
  }
  return fact;
}

/** Undefined for slices discovery does not use: not owned by a service, or FQDN addresses. */
export function sliceFact(slice: V1EndpointSlice): SliceFact | undefined {
  const { namespace, name } = identify(slice.metadata);
  const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (!service || slice.addressType === 'FQDN') return undefined;
  const family = slice.addressType === 'IPv6' ? 6 : 4;
  // A port without a number stands for every port (a headless service without ports): the one asked for is used.
  const ports = (slice.ports ?? []).flatMap((p, i) => (p.port == null ? [] : [portFact(p.name, p.port, `ports[${i}]`)]));
  const endpoints = (slice.endpoints ?? []).map((e, i): SliceEndpointFact => {
    for (const address of e.addresses ?? []) {
      if (net.isIP(address) !== family) throw new FactError(`endpoints[${i}] address ${JSON.stringify(address)} is not an ${slice.addressType} address`);
    }
    return {
      addresses: e.addresses ?? [],
      // Kubernetes: an unknown readiness (null) is to be read as ready.
      ready: e.conditions?.ready !== false,
      hostname: e.hostname || undefined,
      pod: e.targetRef?.kind === 'Pod' ? e.targetRef.name : undefined,
    };
  });
  return { namespace, name, service, ports, endpoints };
}

function identify(metadata: { name?: string; namespace?: string } | undefined): { namespace: string; name: string } {
  if (!metadata?.name) throw new FactError('metadata.name is missing');
  return { namespace: metadata.namespace || 'default', name: metadata.name };
}

function portFact(name: string | undefined | null, port: number | undefined | null, where: string): PortFact {
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
    throw new FactError(`${where}.port ${JSON.stringify(port)} is not a port number`);
  }
  return { name: name ?? '', port: port as number };
}
