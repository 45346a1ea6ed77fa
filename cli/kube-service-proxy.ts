// Reaching an HTTP API of the cluster from a person's machine as kubectl would: through the Kubernetes API
// server's proxy (`/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/…`, or a pod's), with the user's
// kubeconfig (--kubeconfig, else $KUBECONFIG or ~/.kube/config) for the server address, TLS and credentials.
// The one place the CLI does this: the views (cli/views/connect.ts) and `weft tap` (to the aggregated tap API,
// which the API server serves itself, so no proxy subresource) both come here.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { aggregatedTapPath, type TapTarget, type TapTargetOf } from '../common/tap-client';
import type { HttpTarget } from '../common/views/http-target';
import { loadCliKubeConfig } from './kubeconfig';

/** `apiPath` (e.g. `/api/v1/namespaces/weft/services/weft-prometheus:9090/proxy`) on the kubeconfig's API server. */
export async function kubeProxyTarget(kubeconfig: string | undefined, apiPath: string, label: string): Promise<HttpTarget> {
  return apiServerProxyTarget(loadCliKubeConfig({ kubeconfig }), apiPath, label);
}

/** `apiPath` on an already loaded kubeconfig's current cluster (`weft check` holds one, with its --context). */
export async function apiServerProxyTarget(config: KubeConfig, apiPath: string, label: string): Promise<HttpTarget> {
  const server = config.getCurrentCluster()!.server;
  const tls: https.RequestOptions = {};
  await config.applyToHTTPSOptions(tls);
  const headers = Object.fromEntries(Object.entries(tls.headers ?? {}).map(([k, v]) => [k, String(v)]));
  delete tls.headers;
  const baseUrl = `${server.replace(/\/+$/, '')}${apiPath}`;
  return { baseUrl, label: `${label} at ${baseUrl}`, tls, headers };
}

/** The pod proxy subresource of one port of a pod: `GET base + /path` reaches podIP:port/path. The real
 *  kube-apiserver takes only port numbers here. */
export function podProxyPath(namespace: string, pod: string, port: number): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy`;
}

/** A request to `apiPath` on the kubeconfig's API server, with its TLS and credentials. */
export async function apiServerRequest(kubeconfig: string | undefined, apiPath: string): Promise<TapTarget> {
  const base = await kubeProxyTarget(kubeconfig, apiPath, apiPath);
  const url = new URL(base.baseUrl);
  return { url, options: { ...base.tls, headers: base.headers }, request: url.protocol === 'https:' ? https.request : http.request };
}

/** Taps through the kubeconfig's API server: the aggregated API tap.weft.io, authorized as the kubeconfig's user. */
export function tapThroughApiServer(kubeconfig: string | undefined): TapTargetOf {
  return (query) => apiServerRequest(kubeconfig, aggregatedTapPath(query));
}
