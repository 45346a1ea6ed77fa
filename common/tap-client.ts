// Opening a tap on the tap service (docs/contract.md "Tap"): `POST /tap` with the query as JSON. Resolves with
// the 200 answer, whose body is the NDJSON stream (TapStreamLine per line); a refusal rejects with its status and
// first line, a service that cannot be reached with the address. `weft tap` and the dashboard both open taps here.
import * as http from 'node:http';
import type { TapQuery } from './tap-api';

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

export interface OpenedTap {
  response: Promise<http.IncomingMessage>;
  /** Ends the tap (at every proxy it reached). */
  cancel(): void;
}

export function openTap(url: URL, options: http.RequestOptions, request: typeof http.request, query: TapQuery): OpenedTap {
  const body = JSON.stringify(query);
  const where = url.origin + url.pathname;
  const req = request(url, { ...options, method: 'POST', headers: { ...options.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('error', (err: NodeJS.ErrnoException) => reject(new TapUnreachable(`cannot reach the tap service at ${where}: ${err.code ?? err.message}`, { cause: err })));
    req.once('response', (res) => {
      if (res.statusCode === 200) return resolve(res);
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text = (text + d).slice(0, 4096)));
      res.once('end', () => reject(new TapRefused(res.statusCode ?? 0, text.trim().split('\n')[0] || (res.statusMessage ?? ''))));
    });
  });
  req.end(body);
  return { response, cancel: () => req.destroy() };
}
