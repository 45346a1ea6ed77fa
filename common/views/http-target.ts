// Where an HTTP API is reached: directly by address, or through the Kubernetes API server's service proxy
// (`…/api/v1/namespaces/NS/services/NAME:PORT/proxy`) with that server's TLS and credentials. The caller
// builds it (the CLI from its kubeconfig); everything here only sends GETs to it.
import * as http from 'node:http';
import * as https from 'node:https';
import { SourceUnavailable } from './source';

export interface HttpTarget {
  /** No trailing slash: `http://127.0.0.1:9090` or `https://kube:6443/api/v1/namespaces/weft/services/prometheus:9090/proxy`. */
  baseUrl: string;
  /** What to call it in messages, e.g. "Prometheus at http://127.0.0.1:9090". */
  label: string;
  /** TLS and credentials for an https base (the Kubernetes API server's). */
  tls?: https.RequestOptions;
  headers?: Record<string, string>;
}

export function directTarget(url: string, what: string): HttpTarget {
  const baseUrl = url.replace(/\/+$/, '');
  return { baseUrl, label: `${what} at ${baseUrl}` };
}

export interface HttpAnswer {
  status: number;
  body: string;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** GET `path` (with its query) from the target; rejects with SourceUnavailable naming the URL when it cannot. */
export function httpGet(target: HttpTarget, path: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<HttpAnswer> {
  const url = `${target.baseUrl}${path}`;
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { ...target.tls, headers: target.headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => reject(new SourceUnavailable(`${target.label}: the answer to ${url} broke off (${err.message})`, { cause: err })));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new SourceUnavailable(`cannot reach ${target.label}: ${err.message}`, { cause: err })));
  });
}
