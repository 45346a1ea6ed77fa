// Opening a tap on the tap service (docs/contract.md "Tap"): the query POSTed as JSON, by address to the local
// tap service's `/tap`, or through the Kubernetes API server to the aggregated API tap.weft.io (the target in the
// path, as kubectl would call it). Resolves with the 200 answer, whose body is the NDJSON stream (TapStreamLine
// per line); a refusal rejects with its status and first line, a service that cannot be reached with the address.
// `weft tap` and the dashboard both open taps here.
import * as http from 'node:http';
import type * as https from 'node:https';
import { formatHostPort, HostPort } from './address';
import { TAP_API_PREFIX } from './contract';
import { TAP_HTTP_PATH, TapQuery } from './tap-api';
import { parseResource } from './tap-resource';

/** The tap service answered, but not with a stream: `status` and the first line of what it said. */
export class TapRefused extends Error {
  override name = 'TapRefused';
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`tap refused (HTTP ${status}): ${detail}`);
  }
}

export class TapUnreachable extends Error {
  override name = 'TapUnreachable';
}

/** Where a tap is POSTed, with the TLS and credentials to do it (a kubeconfig's, through the API server). */
export interface TapTarget {
  url: URL;
  options: https.RequestOptions;
  /** http.request or https.request, as the URL's scheme says. */
  request: typeof http.request;
}

/** Where one query's tap goes: by address, or through the Kubernetes API (the path depends on the query). */
export type TapTargetOf = (query: TapQuery) => Promise<TapTarget>;

/** The local tap service at `addr` (the demo's, `--tap-addr`): plain HTTP, `POST /tap`. */
export function tapAtAddress(addr: HostPort): TapTargetOf {
  return async () => ({ url: new URL(`http://${formatHostPort(addr)}${TAP_HTTP_PATH}`), options: {}, request: http.request });
}

/**
 * The aggregated API's path for the query's target: `…/watch/namespaces/NS/RESOURCE/NAME/tap`, or
 * `…/watch/namespaces/NS/tap` for a namespace. Throws a ResourceError for a resource that is not one.
 */
export function aggregatedTapPath(query: TapQuery): string {
  const resource = parseResource(query.resource);
  const segment = (text: string) => encodeURIComponent(text);
  if (resource.kind === 'namespace') return `${TAP_API_PREFIX}/watch/namespaces/${segment(resource.name)}/tap`;
  return `${TAP_API_PREFIX}/watch/namespaces/${segment(query.namespace || 'default')}/${resource.kind}s/${segment(resource.name)}/tap`;
}

export interface OpenedTap {
  response: Promise<http.IncomingMessage>;
  /** Ends the tap (at every proxy it reached). */
  cancel(): void;
}

export function openTap(target: TapTarget, query: TapQuery): OpenedTap {
  const { url, options } = target;
  const body = JSON.stringify(query);
  const where = url.origin + url.pathname;
  const req = target.request(url, { ...options, method: 'POST', headers: { ...options.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('error', (err: NodeJS.ErrnoException) => reject(new TapUnreachable(`cannot reach the tap service at ${where}: ${err.code ?? err.message}`, { cause: err })));
    req.once('response', (res) => {
      if (res.statusCode === 200) return resolve(res);
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text = (text + d).slice(0, 4096)));
      res.once('end', () => reject(new TapRefused(res.statusCode ?? 0, refusalText(text) || (res.statusMessage ?? ''))));
    });
  });
  req.end(body);
  return { response, cancel: () => req.destroy() };
}

/** The first line of a refusal: tap's own text, or the message of a Kubernetes Status (the API server refused). */
function refusalText(text: string): string {
  try {
    const status = JSON.parse(text) as { kind?: string; message?: string };
    if (status.kind === 'Status' && status.message) return status.message;
  } catch {
    // not JSON: tap's own text
  }
  return text.trim().split('\n')[0];
}
