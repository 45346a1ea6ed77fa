// Reaching a control-plane Service from a person's machine as kubectl would: through the Kubernetes API
// server's service proxy (`/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/<path>`), with the user's
// kubeconfig (--kubeconfig, else $KUBECONFIG or ~/.kube/config) for the server address and credentials.
import * as http from 'node:http';
import * as https from 'node:https';
import { UsageError } from '../common/errors';

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

export async function serviceProxyRequest(target: ServiceProxyTarget, kubeconfig: string | undefined): Promise<PreparedRequest> {
  const { KubeConfig } = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
  const config = new KubeConfig();
  try {
    if (kubeconfig) config.loadFromFile(kubeconfig);
    else config.loadFromDefault();
  } catch (err) {
    throw new UsageError(`cannot read the kubeconfig${kubeconfig ? ` ${kubeconfig}` : ''}: ${(err as Error).message}`);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster?.server) throw new UsageError(`the kubeconfig${kubeconfig ? ` ${kubeconfig}` : ''} names no current cluster: pass --kubeconfig FILE, or reach the service by address`);
  const base = cluster.server.replace(/\/+$/, '');
  const url = new URL(`${base}/api/v1/namespaces/${target.namespace}/services/${target.service}:${target.port}/proxy${target.path}`);
  const options: https.RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  return { url, options, request: url.protocol === 'https:' ? https.request : http.request };
}
