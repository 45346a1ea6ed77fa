// One shape for a request whichever protocol the client spoke, so routing and forwarding are written once.
import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';
import { ORIG_PROTO } from '../../common/contract';
import type { Guard } from '../transport/guard';
import { isGrpc } from './headers';

export interface ProxyRequest {
  method: string;
  /** Host / :authority / the absolute-form URI's host, as the client sent it. */
  authority: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Null when the request has no body. */
  body: Readable | null;
  grpc: boolean;
  /** 'HTTP/1.1', 'HTTP/1.0' or 'HTTP/2'; an HTTP/1 request carried over h2 by a peer proxy keeps its own. */
  protocol: string;
  /** Every callback made for this request runs inside it (proxy/transport/guard.ts). */
  guard: Guard;
}

export function fromHttp1(req: IncomingMessage, guard: Guard): ProxyRequest {
  const { authority, path } = http1Target(req);
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  return {
    method: req.method ?? 'GET',
    authority,
    path,
    headers: req.headers,
    body: hasBody ? req : null,
    grpc: false,
    protocol: req.httpVersion === '1.0' ? 'HTTP/1.0' : 'HTTP/1.1',
    guard,
  };
}

/** Where an HTTP/1 request is for: Host and the path, or what an absolute-form URI names. */
export function http1Target(req: IncomingMessage): { authority: string; path: string } {
  let authority = req.headers.host ?? '';
  let path = req.url ?? '/';
  // Absolute-form (the app uses the proxy as HTTP_PROXY): the URI names the authority.
  if (path.charCodeAt(0) !== 47 /* '/' */ && /^https?:\/\//i.test(path)) {
    const url = new URL(path);
    authority = url.host;
    path = `${url.pathname}${url.search}`;
  }
  return { authority, path };
}

export function fromHttp2(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, guard: Guard): ProxyRequest {
  const origProto = headers[ORIG_PROTO];
  return {
    method: headers[':method'] ?? 'GET',
    authority: headers[':authority'] ?? headers.host ?? '',
    path: headers[':path'] ?? '/',
    headers,
    body: stream.endAfterHeaders ? null : stream,
    grpc: isGrpc(headers['content-type']),
    protocol: typeof origProto === 'string' ? origProto : 'HTTP/2',
    guard,
  };
}
