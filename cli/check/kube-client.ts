// The few Kubernetes API calls `weft check` makes, on the kubeconfig's server and credentials: JSON in and out,
// each request bounded in time, and the server's `Date` header kept (the clock-skew check reads it).
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** How long one API request may take before the check reports the server as not answering. */
export const REQUEST_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface KubeResponse {
  status: number;
  /** The server's clock when it answered (its Date header), ms since the epoch; undefined without one. */
  serverDate?: number;
  body: unknown;
}

/** The request did not get an answer: connection refused, TLS failure, timeout. */
export class KubeUnreachableError extends Error {
  override name = 'KubeUnreachableError';
}

/** The server answered with an error Status (403 Forbidden, 404 NotFound…); its message is the server's. */
export class KubeStatusError extends Error {
  override name = 'KubeStatusError';
  constructor(
    readonly code: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

function statusError(status: number, body: unknown, what: string): KubeStatusError {
  const s = (body ?? {}) as { message?: string; reason?: string };
  return new KubeStatusError(status, s.reason, s.message ?? `${what}: HTTP ${status}`);
}

export class KubeClient {
  private constructor(
    readonly server: string,
    private readonly options: https.RequestOptions,
    /** What the client was made from: pod proxy requests (cli/views/connect.ts) use the same server and credentials. */
    readonly config: KubeConfig,
  ) {}

  static async fromConfig(kc: KubeConfig): Promise<KubeClient> {
    const server = kc.getCurrentCluster()!.server;
    const options: https.RequestOptions = { headers: {} };
    await kc.applyToHTTPSOptions(options);
    // client-node builds an https agent; plain http servers (a local test cluster) take none.
    if (new URL(server).protocol === 'http:') delete options.agent;
    return new KubeClient(server.replace(/\/+$/, ''), options, kc);
  }

  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<KubeResponse> {
    const url = new URL(this.server + path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { ...(this.options.headers as Record<string, string>), Accept: 'application/json' } as Record<string, string | number>;
    if (payload !== undefined) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
    const what = `${method} ${url.href}`;
    const send = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = send(url, { ...this.options, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) req.destroy(new KubeUnreachableError(`${what}: the answer is larger than ${MAX_BODY_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', (err) => reject(new KubeUnreachableError(`${what}: ${err.message}`, { cause: err })));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = { message: `${what}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}` };
          }
          const date = res.headers.date ? Date.parse(res.headers.date) : NaN;
          resolve({ status: res.statusCode ?? 0, serverDate: Number.isNaN(date) ? undefined : date, body: parsed });
        });
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new KubeUnreachableError(`${what}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (err) => reject(err instanceof KubeUnreachableError ? err : new KubeUnreachableError(`${what}: ${err.message}`, { cause: err })));
      req.end(payload);
    });
  }

  /** The object or list at `path`; an error Status throws KubeStatusError. */
  async get<T>(path: string): Promise<T> {
    const res = await this.request('GET', path);
    if (res.status >= 300) throw statusError(res.status, res.body, `GET ${path}`);
    return res.body as T;
  }

  /** Like get(), but a 404 is undefined: for objects whose absence is the finding. */
  async find<T>(path: string): Promise<T | undefined> {
    const res = await this.request('GET', path);
    if (res.status === 404) return undefined;
    if (res.status >= 300) throw statusError(res.status, res.body, `GET ${path}`);
    return res.body as T;
  }

  async create<T>(path: string, body: unknown): Promise<T> {
    const res = await this.request('POST', path, body);
    if (res.status >= 300) throw statusError(res.status, res.body, `POST ${path}`);
    return res.body as T;
  }
}
