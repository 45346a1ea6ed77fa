// Who a request through the Kubernetes API server's aggregation layer comes from. The aggregator authenticates
// the person, then calls tap over TLS presenting its front-proxy client certificate and naming the person in
// request headers. Those headers prove nothing by themselves (anyone who reaches tap's port can send them), so
// they are believed only from a client certificate that chains to the requestheader CA Kubernetes publishes in
// kube-system/extension-apiserver-authentication, with a CN in requestheader-allowed-names when that list is not
// empty: what every Kubernetes extension API server does. The TLS handshake checks the chain (the CA is the
// server's `ca`, see role.ts); this reads the outcome and the headers. Pure.
import type * as http from 'node:http';
import type { TLSSocket } from 'node:tls';
import { EXTENSION_APISERVER_AUTHENTICATION, REQUESTHEADER_KEYS } from '../../common/contract';

export interface FrontProxyConfig {
  /** The requestheader CA bundle; undefined when Kubernetes publishes none (then nobody is believed). */
  caPem?: string;
  allowedNames: string[];
  /** Lower case, in the order they are tried. */
  usernameHeaders: string[];
  groupHeaders: string[];
  /** Why the ConfigMap is unusable, when it is. */
  problem?: string;
}

export interface Caller {
  user: string;
  groups: string[];
}

export type Authentication = { ok: true; caller: Caller } | { ok: false; reason: string };

const WHERE = `ConfigMap ${EXTENSION_APISERVER_AUTHENTICATION.namespace}/${EXTENSION_APISERVER_AUTHENTICATION.configMap}`;

/** The ConfigMap's data (undefined: it does not exist) as the front-proxy settings; never throws. */
export function frontProxyConfig(data: Record<string, string> | undefined): FrontProxyConfig {
  const none: FrontProxyConfig = { allowedNames: [], usernameHeaders: [], groupHeaders: [] };
  if (!data) return { ...none, problem: `${WHERE} does not exist, so no front-proxy certificate can be verified` };
  const caPem = data[REQUESTHEADER_KEYS.clientCaFile];
  if (!caPem?.includes('-----BEGIN CERTIFICATE-----')) return { ...none, problem: `${WHERE} has no ${REQUESTHEADER_KEYS.clientCaFile}: the API server runs without a front proxy (--requestheader-client-ca-file)` };
  const lists: Partial<Record<'allowedNames' | 'usernameHeaders' | 'groupHeaders', string[]>> = {};
  for (const [field, key] of [['allowedNames', REQUESTHEADER_KEYS.allowedNames], ['usernameHeaders', REQUESTHEADER_KEYS.usernameHeaders], ['groupHeaders', REQUESTHEADER_KEYS.groupHeaders]] as const) {
    const list = stringList(data[key]);
    if (list === undefined) return { ...none, problem: `${WHERE} key ${key} is not a JSON list of strings: ${JSON.stringify(data[key]).slice(0, 100)}` };
    lists[field] = list;
  }
  const usernameHeaders = lists.usernameHeaders!.map((h) => h.toLowerCase());
  if (usernameHeaders.length === 0) return { ...none, problem: `${WHERE} names no ${REQUESTHEADER_KEYS.usernameHeaders}: no header could name the user` };
  return { caPem, allowedNames: lists.allowedNames!, usernameHeaders, groupHeaders: lists.groupHeaders!.map((h) => h.toLowerCase()) };
}

function stringList(text: string | undefined): string[] | undefined {
  if (text === undefined || text === '') return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The caller the aggregator names, or why the request is not believed (answered 401). */
export function authenticateFrontProxy(req: http.IncomingMessage, config: FrontProxyConfig): Authentication {
  if (config.problem) return { ok: false, reason: `cannot verify the caller: ${config.problem}` };
  const socket = req.socket as TLSSocket;
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  if (!peer || Object.keys(peer).length === 0) {
    return { ok: false, reason: `no client certificate: tap serves people through the Kubernetes API server's aggregation layer, which presents its front-proxy certificate (${REQUESTHEADER_KEYS.clientCaFile} of ${WHERE})` };
  }
  const subject = `CN=${peer.subject?.CN ?? '(none)'}`;
  if (!socket.authorized) return { ok: false, reason: `the client certificate ${subject} is not signed by the requestheader CA of ${WHERE} (${socket.authorizationError})` };
  const cn = String(peer.subject?.CN ?? '');
  if (config.allowedNames.length > 0 && !config.allowedNames.includes(cn)) {
    return { ok: false, reason: `the client certificate ${subject} is not one of ${REQUESTHEADER_KEYS.allowedNames} (${config.allowedNames.join(', ')})` };
  }
  const user = config.usernameHeaders.map((h) => values(req, h)[0]).find((v) => v !== undefined && v !== '');
  if (!user) return { ok: false, reason: `the front proxy named no user (${config.usernameHeaders.join(', ')})` };
  return { ok: true, caller: { user, groups: config.groupHeaders.flatMap((h) => values(req, h)) } };
}

/** Every value of a header as sent (one group per header line, as Kubernetes reads them: no comma splitting). */
function values(req: http.IncomingMessage, name: string): string[] {
  return (req.headersDistinct[name] ?? []).map((v) => v.trim()).filter(Boolean);
}
