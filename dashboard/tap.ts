// The dashboard's live tap view: `GET /api/tap?resource=deploy/web&namespace=…&method=…&authority=…&path=…`
// becomes a tap on the tap service (weft-controller tap: by address, or through the Kubernetes API to its
// aggregated API, common/tap-client.ts), and its NDJSON stream is relayed to
// the page as it arrives (the page reads it with fetch streaming). The page leaving ends the tap upstream.
import type * as http from 'node:http';
import type { TapQuery } from '../common/tap-api';
import { openTap, TapRefused, type OpenedTap, type TapTargetOf } from '../common/tap-client';

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
export function relayTap(tap: TapTargetOf | undefined, url: URL, res: http.ServerResponse, headers: http.OutgoingHttpHeaders): void {
  const fail = (status: number, message: string) => {
    if (res.headersSent || res.destroyed) return void res.destroy();
    const body = JSON.stringify({ error: message });
    res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (!tap) return fail(503, 'no tap service: start `weft demo`, or `weft dashboard --tap-addr HOST:PORT` (or --kubeconfig FILE)');
  const query = tapQueryOf(url);
  if (typeof query === 'string') return fail(400, query);
  tap(query).then(
    (target) => relayStream(openTap(target, query)),
    (err: Error) => fail(400, err.message),
  );

  function relayStream(opened: OpenedTap): void {
    // The page went away (or its stream was stopped): the tap ends at every proxy.
    res.once('close', () => opened.cancel());
    opened.response.then(
      (answer) => {
        if (res.destroyed) return void answer.destroy();
        res.writeHead(200, { ...headers, 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        res.flushHeaders();
        // A stream that breaks off must not leave the page waiting on a response that never ends.
        answer.once('close', () => void (answer.complete || res.destroy()));
        answer.pipe(res);
      },
      (err: Error) => fail(err instanceof TapRefused && (err.status === 404 || err.status === 400) ? err.status : 502, err.message),
    );
  }
}
