// Shared by the injector's unit tests: a mesh config with a real trust anchor, sample pods, and inject() applied
// and checked against the Pod schema of kubernetes-models, so every test sees the pod the API server would store.
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import { IPod, Pod } from 'kubernetes-models/v1/Pod';
import { createTrustAnchor } from '../../../certs';
import { PROXY_CONTAINER } from '../../../common/contract';
import { applyJsonPatch } from '../../../common/json-patch';
import type { NamespaceLike } from '../../../injector/eligibility';
import { Injected, inject, InjectInput, InjectResult } from '../../../injector/inject';
import { MeshConfig, parseMeshConfig } from '../../../injector/mesh-config';

export const ANCHOR = createTrustAnchor();
export const MESH: MeshConfig = parseMeshConfig({ trustAnchorsPem: ANCHOR.certPem });

export function samplePod(overrides: { annotations?: Record<string, string>; spec?: Partial<NonNullable<IPod['spec']>> } = {}): IPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d9f-abcde', namespace: 'demo', labels: { app: 'web' }, annotations: { 'weft.io/inject': 'enabled', ...overrides.annotations } },
    spec: {
      serviceAccountName: 'web',
      containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }],
      ...overrides.spec,
    },
  };
}

export const namespace = (name = 'demo', annotations?: Record<string, string>): NamespaceLike => ({ metadata: { name, annotations } });

export function validPod(pod: IPod): IPod {
  new Pod(pod).validate();
  return pod;
}

export interface InjectedPod {
  result: Injected;
  pod: IPod;
  proxy: IContainer;
  init: IContainer;
}

export function run(input: Partial<InjectInput> & { pod: IPod }): InjectResult {
  return inject({ namespace: namespace(), mesh: MESH, owner: { kind: 'Deployment', name: 'web' }, ...input });
}

/** inject() that must inject: the patch applied, the pod valid, its proxy and init container found. */
export function injected(input: Partial<InjectInput> & { pod: IPod }): InjectedPod {
  const result = run(input);
  if (result.kind !== 'injected') throw new Error(`expected the pod injected, got ${result.reason}: ${result.detail}`);
  const pod = validPod(applyJsonPatch(input.pod, result.patch));
  const all = [...(pod.spec!.initContainers ?? []), ...pod.spec!.containers];
  const proxy = all.find((c) => c.name === PROXY_CONTAINER)!;
  const init = all.find((c) => c.name === 'weft-init')!;
  return { result, pod, proxy, init };
}

/** The env as the kubelet would hand it to the process: fieldRefs resolved, `$(VAR)` expanded in order. */
export function resolveEnv(env: readonly IEnvVar[], pod: { name: string; namespace: string; ip: string; node: string; serviceAccount: string }): Record<string, string> {
  const fields: Record<string, string> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'status.podIP': pod.ip,
    'spec.nodeName': pod.node,
    'spec.serviceAccountName': pod.serviceAccount,
  };
  const resolved: Record<string, string> = {};
  for (const variable of env) {
    if (variable.valueFrom) {
      const field = variable.valueFrom.fieldRef?.fieldPath;
      if (!field || !(field in fields)) throw new Error(`${variable.name}: unexpected valueFrom ${JSON.stringify(variable.valueFrom)}`);
      resolved[variable.name] = fields[field];
    } else {
      // Kubernetes leaves a reference to a variable not defined earlier as written.
      resolved[variable.name] = (variable.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref, name: string) => resolved[name] ?? ref);
    }
  }
  return resolved;
}

export const envValue = (container: IContainer, name: string): string | undefined => container.env?.find((e) => e.name === name)?.value;
