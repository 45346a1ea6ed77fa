// Reaching an HTTP API of the cluster from a person's machine as kubectl would: through the Kubernetes API
// server's proxy (`/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/…`, or a pod's), with the user's
// kubeconfig (--kubeconfig, else $KUBECONFIG or ~/.kube/config) for the server address, TLS and credentials.
// The one place the CLI does this: the views (cli/views/connect.ts) and `weft tap` both come here.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { HttpTarget } from '../common/views/http-target';
import { loadCliKubeConfig } from './kubeconfig';

export interface ServiceProxyTarget {
  namespace: string;
  service: string;
  port: number;
  /** The path on the service, from `/`. */
  path: string;
}

export interface PreparedRequest {
  url: URL;
  options: https.RequestOptions;
  /** http.request or https.request, as the URL's scheme says. */
  request: typeof http.request;
}

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

/** A request to `target.path` on a Service, through the API server's service proxy. */
export async function serviceProxyRequest(target: ServiceProxyTarget, kubeconfig: string | undefined): Promise<PreparedRequest> {
  const base = await kubeProxyTarget(kubeconfig, `/api/v1/namespaces/${target.namespace}/services/${target.service}:${target.port}/proxy`, `${target.namespace}/${target.service}:${target.port}`);
  const url = new URL(`${base.baseUrl}${target.path}`);
  return { url, options: { ...base.tls, headers: base.headers }, request: url.protocol === 'https:' ? https.request : http.request };
}
