// The tap service's HTTP API for people's CLIs (docs/contract.md "Tap"): a JSON TapQuery POSTed to the route
// routes.ts names (`/tap` locally over plain HTTP; the aggregated API tap.weft.io over HTTPS in a cluster); the
// answer streams newline-delimited JSON (TapStreamLine) for as long as the caller keeps it open. The caller is
// authenticated first (authorize.ts: nothing about the cluster is told to a stranger), the query picks pods from
// the cluster facts (select.ts), the caller is authorized for them, and each meshed pod's proxy is tapped as the
// tap identity (proxy-client.ts), the streams merged as they come.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Counter } from 'prom-client';
import type { HostPort } from '../../common/address';
import type { ClientCertificate } from '../../common/grpc-tls';
import { listen } from '../../common/listen';
import type { Logger } from '../../common/log';
import { TapQuery, TapStreamLine } from '../../common/tap-api';
import type { PodInfo } from '../cluster/types';
import type { TapAuthorizer } from './authorize';
import { observeProxy, ProxyTap } from './proxy-client';
import { tapRoute } from './routes';
import { QueryError, selectTap } from './select';

/** Taps served at once; each holds one stream per pod it taps. */
export const MAX_HTTP_TAPS = 32;
const MAX_QUERY_BYTES = 64 * 1024;
/** Bytes a caller may leave unread before events for it are dropped (and counted) instead of queued. */
const MAX_UNREAD_BYTES = 1 << 20;

export interface TapApiOptions {
  addr: HostPort;
  /**
   * In a cluster: serve the aggregated API over HTTPS with this serving pair, asking every client for its
   * certificate and verifying it against `ca` (the requestheader CA); one without is still answered (401, with
   * why). Undefined: the local API over plain HTTP.
   */
  tls?: { cert: string; key: string; ca?: string };
  pods(): readonly PodInfo[];
  authorizer: TapAuthorizer;
  /** The tap identity's certificate in force (the role starts the API only once there is one). */
  certificate(): ClientCertificate;
  trustAnchorsPem: string;
  dropped: Counter;
  log: Logger;
}

export interface TapApi {
  port: number;
  /** Serves new connections with this pair and client CA (a reloaded Secret, a rotated requestheader CA). */
  setTls(tls: { cert: string; key: string; ca?: string }): void;
  close(): Promise<void>;
}

export async function startTapApi(options: TapApiOptions): Promise<TapApi> {
  const { log } = options;
  const open = new Set<() => void>();
  const serverOptions = { requestTimeout: 0, headersTimeout: 10_000 };
  const mode = options.tls ? 'aggregated' : 'local';
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((err: Error) => {
      log.error({ error: err.message, stack: err.stack }, 'tap request failed');
      if (!res.headersSent) refuse(res, 500, `tap failed: ${err.message}`);
      else res.destroy();
    });
  };
  const server = options.tls
    ? https.createServer({ ...serverOptions, ...secureContext(options.tls), requestCert: true, rejectUnauthorized: false }, onRequest)
    : http.createServer(serverOptions, onRequest);
  server.on('tlsClientError', (err: Error) => log.debug({ error: err.message }, 'TLS handshake with a tap client failed'));

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const route = tapRoute(mode, req.method ?? 'GET', (req.url ?? '/').split('?')[0]);
    if (route.kind === 'refused') return refuse(res, route.status, route.message, route.allow ? { allow: route.allow } : {});
    if (route.kind === 'discovery') return sendJson(res, route.document);
    const who = options.authorizer.authenticate(req);
    if (!who.ok) return refuse(res, 401, who.reason);
    if (open.size >= MAX_HTTP_TAPS) return refuse(res, 429, `tap serves ${MAX_HTTP_TAPS} taps at once; try again when one ends`);
    const body = await readQuery(req);
    if (body instanceof QueryError) return refuse(res, body.status, body.message);
    // The aggregated path names the target; the body says the rest.
    const query: TapQuery = route.target ? { ...body, ...route.target } : body;
    let selection;
    try {
      selection = selectTap(query, options.pods());
    } catch (err) {
      if (err instanceof QueryError) return refuse(res, err.status, err.message);
      throw err;
    }
    const decision = await options.authorizer.authorize(who.caller, selection);
    if (!decision.allowed) return refuse(res, 403, decision.reason);
    const user = who.caller?.user;
    const meshed = selection.pods.filter((p) => p.tap);
    if (meshed.length === 0) return refuse(res, 404, `none of the ${selection.pods.length} pods of ${selection.what} runs a weft proxy with identity: there is nothing to tap`);

    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    const send = (line: TapStreamLine) => {
      if (res.writableLength > MAX_UNREAD_BYTES) return void options.dropped.inc();
      res.write(`${JSON.stringify(line)}\n`);
    };
    for (const pod of selection.pods) if (!pod.tap) send({ error: { namespace: pod.namespace, pod: pod.name, message: 'not meshed: no weft proxy with identity to tap' } });
    const client = options.certificate();
    const request = { maxRps: selection.maxRps, match: selection.match };
    const taps: ProxyTap[] = meshed.map((pod) => {
      const tap = observeProxy({ addr: pod.tap!.addr, identity: pod.tap!.identity, trustAnchorsPem: options.trustAnchorsPem }, client, request, (event) =>
        send({ event: { ...event, namespace: pod.namespace, pod: pod.name } }),
      );
      void tap.ended.then((why) => {
        if (why !== undefined && !res.writableEnded) send({ error: { namespace: pod.namespace, pod: pod.name, message: why } });
      });
      return tap;
    });
    const stop = () => taps.forEach((tap) => tap.cancel());
    open.add(stop);
    log.info({ user, what: selection.what, pods: meshed.map((p) => p.name), match: selection.match, maxRps: selection.maxRps }, 'tap started');
    res.once('close', () => {
      open.delete(stop);
      stop();
      log.info({ user, what: selection.what }, 'tap ended');
    });
    // Every proxy's stream over (each failure already reported): the answer ends too.
    await Promise.all(taps.map((tap) => tap.ended));
    if (!res.writableEnded) res.end();
  }

  const addr = await listen(server, options.addr, 'tap server');
  return {
    port: addr.port,
    setTls: (tls) => (server as https.Server).setSecureContext(secureContext(tls)),
    close: async () => {
      for (const stop of open) stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The serving pair, and the CA client certificates are verified against (none yet: every one fails). */
function secureContext(tls: { cert: string; key: string; ca?: string }): { cert: string; key: string; ca?: string } {
  return { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}) };
}

function sendJson(res: http.ServerResponse, document: object): void {
  const body = JSON.stringify(document);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function refuse(res: http.ServerResponse, status: number, message: string, headers: http.OutgoingHttpHeaders = {}): void {
  const body = `${message}\n`;
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The JSON body, at most MAX_QUERY_BYTES; a QueryError when it is not a query. */
async function readQuery(req: http.IncomingMessage): Promise<TapQuery | QueryError> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_QUERY_BYTES) return new QueryError(400, `the query is over ${MAX_QUERY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    const query: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof query !== 'object' || query === null || Array.isArray(query)) return new QueryError(400, 'the query must be a JSON object like {"resource":"deploy/web","namespace":"demo"}');
    return query as TapQuery;
  } catch (err) {
    return new QueryError(400, `the query is not JSON: ${(err as Error).message}`);
  }
}
