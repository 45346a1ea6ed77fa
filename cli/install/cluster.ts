// What `weft upgrade` and `weft uninstall` read from the cluster: the install's objects (by the
// `weft.io/control-plane-ns` label install puts on each), the values and certificates an install kept, and the
// meshed pods. Through @kubernetes/client-node with the user's kubeconfig (--kubeconfig, else $KUBECONFIG or
// ~/.kube/config), loaded only by the commands that read the cluster: it takes seconds to load.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import YAML from 'yaml';
import {
  CONTROL_PLANE_NS_LABEL,
  INJECTOR_TLS_SECRET,
  INSTALL_VALUES_KEY,
  ISSUER_SECRET,
  KUBERNETES_TLS_FILES,
  MESH_CONFIG_MAP,
  TAP_TLS_SECRET,
  TLS_CA_KEY,
  TRUST_ROOTS_CONFIG_MAP,
  TRUST_ROOTS_KEY,
} from '../../common/contract';
import { loadCliKubeConfig } from '../kubeconfig';
import type { Pem, SuppliedCertificates } from './certificates';
import { NAMESPACE } from './plan';
import { INSTALL_KINDS } from './render';
import { GivenValues, nearestKeys, VALUE_KEYS } from './values';

type Client = typeof import('@kubernetes/client-node');

/** The cluster could not be read: the message says what was asked, what went wrong, and what to check. */
export class ClusterReadError extends Error {
  override name = 'ClusterReadError';
}

export interface ObjectReference {
  [field: string]: unknown;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export class InstalledCluster {
  private readonly client: Client;
  private readonly kubeConfig: KubeConfig;

  constructor(kubeconfigFile?: string) {
    this.kubeConfig = loadCliKubeConfig({ kubeconfig: kubeconfigFile });
    this.client = require('@kubernetes/client-node') as Client;
  }

  private get server(): string {
    return this.kubeConfig.getCurrentCluster()?.server ?? 'the Kubernetes API';
  }

  /** Runs one request; a failure names the request and the server. 404 is `undefined`. */
  private async ask<T>(what: string, request: () => Promise<T>): Promise<T | undefined> {
    try {
      return await request();
    } catch (err) {
      if (err instanceof this.client.ApiException && err.code === 404) return undefined;
      const why = err instanceof this.client.ApiException ? `HTTP ${err.code}` : ((err as { code?: string }).code ?? (err as Error).message);
      throw new ClusterReadError(`cannot read ${what} from ${this.server} (${why}): check that the cluster is reachable and --kubeconfig names it`, { cause: err });
    }
  }

  /** Pods outside the control plane that carry a proxy of this mesh, as `namespace/name`. */
  async meshedPods(): Promise<string[]> {
    const core = this.kubeConfig.makeApiClient(this.client.CoreV1Api);
    const list = await this.ask('the meshed pods', () => core.listPodForAllNamespaces({ labelSelector: `${CONTROL_PLANE_NS_LABEL}=${NAMESPACE}` }));
    return (list?.items ?? [])
      .filter((p) => p.metadata?.namespace !== NAMESPACE)
      .map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
  }

  /**
   * Every object of the install still there, in apply order (kinds as install emits them), in every namespace:
   * tap's RoleBinding lives in kube-system.
   */
  async installedObjects(): Promise<ObjectReference[]> {
    const api = this.client.KubernetesObjectApi.makeApiClient(this.kubeConfig);
    const found: ObjectReference[] = [];
    for (const { apiVersion, kind, namespaced } of INSTALL_KINDS) {
      const list = await this.ask(`the ${kind} objects of weft`, () =>
        api.list<KubernetesObject>(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, `${CONTROL_PLANE_NS_LABEL}=${NAMESPACE}`),
      );
      for (const item of list?.items ?? []) {
        found.push({ apiVersion, kind, metadata: { name: item.metadata!.name!, ...(namespaced ? { namespace: item.metadata!.namespace ?? NAMESPACE } : {}) } });
      }
    }
    return found;
  }

  private async configMapData(name: string): Promise<Record<string, string> | undefined> {
    const core = this.kubeConfig.makeApiClient(this.client.CoreV1Api);
    const read = await this.ask(`ConfigMap ${NAMESPACE}/${name}`, () => core.readNamespacedConfigMap({ name, namespace: NAMESPACE }));
    return read ? (read.data ?? {}) : undefined;
  }

  private async secretData(name: string): Promise<Record<string, string> | undefined> {
    const core = this.kubeConfig.makeApiClient(this.client.CoreV1Api);
    const read = await this.ask(`Secret ${NAMESPACE}/${name}`, () => core.readNamespacedSecret({ name, namespace: NAMESPACE }));
    if (!read) return undefined;
    return Object.fromEntries(Object.entries(read.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  }

  /** The values the install was given, from `weft-config`; throws when weft is not installed. */
  async keptValues(): Promise<GivenValues> {
    const source = `ConfigMap ${NAMESPACE}/${MESH_CONFIG_MAP}`;
    const data = await this.configMapData(MESH_CONFIG_MAP);
    if (!data) throw new ClusterReadError(`weft is not installed in ${this.server}: there is no ${source}; run weft install`);
    return parseKeptValues(data[INSTALL_VALUES_KEY] ?? '{}', `${source} key ${INSTALL_VALUES_KEY}`);
  }

  /**
   * The trust roots, the issuer (unless external) and the webhook and tap serving certificates the cluster holds.
   * An install from before tap's aggregated API has no tap Secret: then one is generated.
   */
  async keptCertificates(externalIssuer: boolean): Promise<SuppliedCertificates> {
    const pem = (data: Record<string, string> | undefined, key: string, source: string): Pem => {
      const text = data?.[key];
      if (text === undefined) throw new ClusterReadError(`${source} ${data ? `has no key ${key}` : 'does not exist'}: weft upgrade keeps the identity it holds; restore it, or give the certificate with its flag`);
      return { text, source: `${source} key ${key}` };
    };
    const roots = await this.configMapData(TRUST_ROOTS_CONFIG_MAP);
    const trustAnchors = pem(roots, TRUST_ROOTS_KEY, `ConfigMap ${NAMESPACE}/${TRUST_ROOTS_CONFIG_MAP}`);
    const servingPair = async (name: string) => {
      const data = await this.secretData(name);
      const source = `Secret ${NAMESPACE}/${name}`;
      return data && { cert: pem(data, KUBERNETES_TLS_FILES.cert, source), key: pem(data, KUBERNETES_TLS_FILES.key, source), ca: pem(data, TLS_CA_KEY, source) };
    };
    const webhook = await servingPair(INJECTOR_TLS_SECRET);
    if (!webhook) throw new ClusterReadError(`Secret ${NAMESPACE}/${INJECTOR_TLS_SECRET} does not exist: weft upgrade keeps the identity it holds; restore it, or give the certificate with its flag`);
    const tap = await servingPair(TAP_TLS_SECRET);
    if (externalIssuer) return { trustAnchors, webhook, tap };
    const issuerData = await this.secretData(ISSUER_SECRET);
    const issuerSource = `Secret ${NAMESPACE}/${ISSUER_SECRET}`;
    const issuer = { cert: pem(issuerData, KUBERNETES_TLS_FILES.cert, issuerSource), key: pem(issuerData, KUBERNETES_TLS_FILES.key, issuerSource) };
    return { trustAnchors, issuer, webhook, tap };
  }
}

/** values.yaml as install wrote it: a map of value keys to their text. */
export function parseKeptValues(text: string, source: string): GivenValues {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new ClusterReadError(`${source} is not YAML (${(err as Error).message}): fix it, or run weft install again`, { cause: err });
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ClusterReadError(`${source} is not a map of install values`);
  const given: GivenValues = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(VALUE_KEYS as string[]).includes(key)) throw new ClusterReadError(`${source}: unknown key ${key}; nearest: ${nearestKeys(key).join(', ')}`);
    given[key as keyof GivenValues] = String(value);
  }
  return given;
}
