// The objects the checks read, each fetched once per attempt (CheckContext.read) and turned into what the checks
// compare: the parsed mesh config, the trust anchors, the issuer, the injector's certificate and caBundle, the
// control plane's Deployments and pods, the meshed pods.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { parseCertificates, type ParsedCertificate } from '../../certs';
import {
  CONTROL_PLANE_NS_LABEL,
  INJECTOR_TLS_SECRET,
  INJECTOR_WEBHOOK_CONFIGURATION,
  INJECTOR_WEBHOOK_NAME,
  ISSUER_SECRET,
  KUBERNETES_TLS_FILES,
  MESH_CONFIG_MAP,
  PROXY_VERSION,
  TAP_API_SERVICE,
  TAP_TLS_SECRET,
  TRUST_ROOTS_CONFIG_MAP,
  TRUST_ROOTS_KEY,
} from '../../common/contract';
import { meshConfigFromConfigMap, type MeshConfig } from '../../injector/mesh-config';
import type { CheckContext } from './context';
import { CheckFailure } from './types';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface ConfigMap {
  metadata: ObjectMeta;
  data?: Record<string, string>;
}

interface Secret {
  metadata: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
}

export interface Container {
  name: string;
  image?: string;
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
}

export interface Pod {
  metadata: ObjectMeta;
  spec?: { containers?: Container[]; initContainers?: Container[] };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface Deployment {
  metadata: ObjectMeta;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { spec?: { containers?: Array<{ name: string; image?: string }> } };
  };
}

interface List<T> {
  items: T[];
}

const ns = (ctx: CheckContext) => ctx.options.controlPlaneNamespace;
const installHint = 'install the control plane: weft install | kubectl apply -f -';

export function findConfigMap(ctx: CheckContext, name: string): Promise<ConfigMap | undefined> {
  return ctx.read(`configmap/${name}`, () => ctx.kube.find<ConfigMap>(`/api/v1/namespaces/${ns(ctx)}/configmaps/${name}`));
}

async function requireConfigMap(ctx: CheckContext, name: string): Promise<ConfigMap> {
  const found = await findConfigMap(ctx, name);
  if (!found) throw new CheckFailure(`ConfigMap ${ns(ctx)}/${name} does not exist`, installHint);
  return found;
}

export function meshConfig(ctx: CheckContext): Promise<MeshConfig> {
  return ctx.read('mesh-config', async () => {
    const configMap = await requireConfigMap(ctx, MESH_CONFIG_MAP);
    try {
      return meshConfigFromConfigMap(configMap);
    } catch (err) {
      throw new CheckFailure((err as Error).message, `fix ${MESH_CONFIG_MAP} (kubectl -n ${ns(ctx)} edit configmap ${MESH_CONFIG_MAP}), or re-render it with weft upgrade`, { cause: err });
    }
  });
}

function certificatesIn(pem: string | undefined, where: string, hint: string): ParsedCertificate[] {
  let certs: ParsedCertificate[];
  try {
    certs = parseCertificates(pem ?? '');
  } catch (err) {
    throw new CheckFailure(`${where} does not parse: ${(err as Error).message}`, hint, { cause: err });
  }
  if (certs.length === 0) throw new CheckFailure(`${where} holds no PEM certificate`, hint);
  return certs;
}

/** The trust anchors: the bundle in `weft-identity-trust-roots`. */
export function trustAnchors(ctx: CheckContext): Promise<ParsedCertificate[]> {
  return ctx.read('trust-anchors', async () => {
    const configMap = await requireConfigMap(ctx, TRUST_ROOTS_CONFIG_MAP);
    const where = `ConfigMap ${ns(ctx)}/${TRUST_ROOTS_CONFIG_MAP} key ${TRUST_ROOTS_KEY}`;
    const hint = `put the PEM of the trust anchors (ca.crt of weft certs anchor) under ${TRUST_ROOTS_KEY}`;
    const anchors = certificatesIn(configMap.data?.[TRUST_ROOTS_KEY], where, hint);
    const notCa = anchors.find((a) => !a.isCA);
    if (notCa) throw new CheckFailure(`${where}: ${notCa.subject} is not a CA certificate`, hint);
    return anchors;
  });
}

function secretText(secret: Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

async function tlsSecret(ctx: CheckContext, name: string, hint: string): Promise<{ certPem: string; keyPem: string; where: string }> {
  const secret = await ctx.kube.find<Secret>(`/api/v1/namespaces/${ns(ctx)}/secrets/${name}`);
  const where = `Secret ${ns(ctx)}/${name}`;
  if (!secret) throw new CheckFailure(`${where} does not exist`, hint);
  if (secret.type !== 'kubernetes.io/tls') throw new CheckFailure(`${where} is of type ${secret.type ?? 'Opaque'}, not kubernetes.io/tls`, hint);
  const certPem = secretText(secret, KUBERNETES_TLS_FILES.cert);
  const keyPem = secretText(secret, KUBERNETES_TLS_FILES.key);
  if (!certPem || !keyPem) throw new CheckFailure(`${where} lacks ${!certPem ? KUBERNETES_TLS_FILES.cert : KUBERNETES_TLS_FILES.key}`, hint);
  return { certPem, keyPem, where };
}

export interface Issuer {
  cert: ParsedCertificate;
  where: string;
}

/** The issuer of the `weft-identity-issuer` Secret: its certificate, read once its key is known to belong to it. */
export function issuer(ctx: CheckContext): Promise<Issuer> {
  return ctx.read('issuer', async () => {
    const hint = `give ${ISSUER_SECRET} an issuer signed by the trust anchor (weft certs issuer, then kubectl -n ${ns(ctx)} create secret tls ${ISSUER_SECRET} --cert issuer.crt --key issuer.key)`;
    const { certPem, keyPem, where } = await tlsSecret(ctx, ISSUER_SECRET, hint);
    const [cert] = certificatesIn(certPem, `${where} ${KUBERNETES_TLS_FILES.cert}`, hint);
    if (!cert.isCA) throw new CheckFailure(`${where}: ${cert.subject} is not a CA certificate, so it cannot sign proxy certificates`, hint);
    let key: KeyObject;
    try {
      key = createPrivateKey(keyPem);
    } catch (err) {
      throw new CheckFailure(`${where} ${KUBERNETES_TLS_FILES.key} is not a PEM private key (${(err as Error).message})`, hint, { cause: err });
    }
    const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
    if (!spki(createPublicKey(key)).equals(spki(cert.x509.publicKey))) {
      throw new CheckFailure(`${where}: ${KUBERNETES_TLS_FILES.key} does not belong to the certificate ${cert.subject}`, hint);
    }
    return { cert, where };
  });
}

/** A serving certificate the API server calls (the injector's, tap's) and the caBundle it trusts it by. */
export interface InjectorTls {
  cert: ParsedCertificate;
  certPem: string;
  /** The caBundle of the webhook configuration (of the APIService, for tap), as PEM. */
  caBundlePem: string;
}

export function injectorTls(ctx: CheckContext): Promise<InjectorTls> {
  return ctx.read('injector-tls', async () => {
    const hint = `re-create the injector's certificate and caBundle together: weft upgrade | kubectl apply -f -`;
    const { certPem, where } = await tlsSecret(ctx, INJECTOR_TLS_SECRET, hint);
    const [cert] = certificatesIn(certPem, `${where} ${KUBERNETES_TLS_FILES.cert}`, hint);
    const configuration = await ctx.kube.find<{ webhooks?: Array<{ name: string; clientConfig?: { caBundle?: string } }> }>(
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${INJECTOR_WEBHOOK_CONFIGURATION}`,
    );
    if (!configuration) throw new CheckFailure(`MutatingWebhookConfiguration ${INJECTOR_WEBHOOK_CONFIGURATION} does not exist`, installHint);
    const webhook = configuration.webhooks?.find((w) => w.name === INJECTOR_WEBHOOK_NAME);
    const caBundle = webhook?.clientConfig?.caBundle;
    if (!caBundle) throw new CheckFailure(`MutatingWebhookConfiguration ${INJECTOR_WEBHOOK_CONFIGURATION} has no caBundle for webhook ${INJECTOR_WEBHOOK_NAME}`, hint);
    return { cert, certPem, caBundlePem: Buffer.from(caBundle, 'base64').toString('utf8') };
  });
}

interface ApiService {
  spec?: { caBundle?: string };
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

/** The tap APIService (v1alpha1.tap.weft.io), as the API server's aggregation layer keeps it. */
export function tapApiService(ctx: CheckContext): Promise<ApiService> {
  return ctx.read('tap-apiservice', async () => {
    const found = await ctx.kube.find<ApiService>(`/apis/apiregistration.k8s.io/v1/apiservices/${TAP_API_SERVICE}`);
    if (!found) throw new CheckFailure(`APIService ${TAP_API_SERVICE} does not exist`, installHint);
    return found;
  });
}

/** tap's serving certificate (Secret weft-tap-k8s-tls) and the caBundle its APIService trusts. */
export function tapTls(ctx: CheckContext): Promise<InjectorTls> {
  return ctx.read('tap-tls', async () => {
    const hint = `re-create tap's certificate and the APIService caBundle together: weft upgrade | kubectl apply -f -`;
    const { certPem, where } = await tlsSecret(ctx, TAP_TLS_SECRET, hint);
    const [cert] = certificatesIn(certPem, `${where} ${KUBERNETES_TLS_FILES.cert}`, hint);
    const caBundle = (await tapApiService(ctx)).spec?.caBundle;
    if (!caBundle) throw new CheckFailure(`APIService ${TAP_API_SERVICE} has no caBundle`, hint);
    return { cert, certPem, caBundlePem: Buffer.from(caBundle, 'base64').toString('utf8') };
  });
}

export function deployments(ctx: CheckContext): Promise<Deployment[]> {
  return ctx.read('deployments', async () => (await ctx.kube.get<List<Deployment>>(`/apis/apps/v1/namespaces/${ns(ctx)}/deployments`)).items);
}

export function controlPlanePods(ctx: CheckContext): Promise<Pod[]> {
  return ctx.read('control-plane-pods', async () => (await ctx.kube.get<List<Pod>>(`/api/v1/namespaces/${ns(ctx)}/pods`)).items);
}

/**
 * Pods the injector meshed into this control plane, in one namespace or all: they carry its namespace label (as the
 * control plane's own pods may) and the proxy-version annotation (which only injection writes).
 */
export function meshedPods(ctx: CheckContext): Promise<Pod[]> {
  return ctx.read('meshed-pods', async () => {
    const where = ctx.options.dataPlaneNamespace ? `/api/v1/namespaces/${ctx.options.dataPlaneNamespace}/pods` : '/api/v1/pods';
    const selector = encodeURIComponent(`${CONTROL_PLANE_NS_LABEL}=${ns(ctx)}`);
    const labelled = (await ctx.kube.get<List<Pod>>(`${where}?labelSelector=${selector}`)).items;
    return labelled.filter((pod) => pod.metadata.annotations?.[PROXY_VERSION] !== undefined);
  });
}

export const podName = (pod: Pod) => `${pod.metadata.namespace}/${pod.metadata.name}`;

/** "a, b, c and 4 more": long lists stay one line. */
export function listed(names: string[], limit = 5): string {
  return names.length <= limit ? names.join(', ') : `${names.slice(0, limit).join(', ')} and ${names.length - limit} more`;
}
