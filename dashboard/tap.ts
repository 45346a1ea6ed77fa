// The dashboard's live tap view: `GET /api/tap?resource=deploy/web&namespace=…&method=…&authority=…&path=…`
// becomes the tap service's `POST /tap` (weft-controller tap, by address), and its NDJSON stream is relayed to
// the page as it arrives (the page reads it with fetch streaming). The page leaving ends the tap upstream.
import * as http from 'node:http';
import { formatHostPort, HostPort } from '../common/address';
import { TAP_HTTP_PATH, TapQuery } from '../common/tap-api';

/** The page shows requests to follow what happens, not to count them: a few per second per proxy is plenty. */
export const DASHBOARD_TAP_MAX_RPS = 20;
/** The filters the page may set; anything else in the query string is ignored. */
const FILTERS = ['namespace', 'to', 'toNamespace', 'from', 'fromNamespace', 'authority', 'method', 'path'] as const;

export function tapQueryOf(url: URL): TapQuery | string {
  const resource = url.searchParams.get('resource');
  if (!resource) return 'resource=<type>/<name> is required, e.g. resource=deploy/web';
  const query: TapQuery = { resource, maxRps: DASHBOARD_TAP_MAX_RPS };
  for (const name of FILTERS) {
    const value = url.searchParams.get(name);
    if (value) query[name] = value;
  }
  return query;
}

/** Relays one tap to `res`; refusals (the tap service's, or none configured) are JSON `{error}` as the other APIs. */
export function relayTap(tapAddr: HostPort | undefined, url: URL, res: http.ServerResponse, headers: http.OutgoingHttpHeaders): void {
  const fail = (status: number, message: string) => {
    if (res.headersSent || res.destroyed) return void res.destroy();
    const body = JSON.stringify({ error: message });
    res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (!tapAddr) return fail(503, 'no tap service: start `weft demo`, or `weft dashboard --tap-addr HOST:PORT`');
  const query = tapQueryOf(url);
  if (typeof query === 'string') return fail(400, query);
  const where = `http://${formatHostPort(tapAddr)}${TAP_HTTP_PATH}`;
  const body = JSON.stringify(query);
  const upstream = http.request(where, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  // The page went away (or its stream was stopped): the tap ends at every proxy.
  res.once('close', () => upstream.destroy());
  upstream.once('error', (err: NodeJS.ErrnoException) => fail(502, `cannot reach the tap service at ${where}: ${err.code ?? err.message}`));
  upstream.once('response', (answer) => {
    if (answer.statusCode !== 200) {
      let text = '';
      answer.setEncoding('utf8').on('data', (d: string) => (text = (text + d).slice(0, 4096)));
      answer.once('end', () => fail(answer.statusCode === 404 || answer.statusCode === 400 ? answer.statusCode : 502, `tap refused (HTTP ${answer.statusCode}): ${text.trim().split('\n')[0]}`));
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    answer.pipe(res);
  });
  upstream.end(body);
}
