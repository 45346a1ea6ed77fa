// Header rules applied between the two sides of the proxy.
import type { IncomingHttpHeaders } from 'node:http';
import { HOP_BY_HOP, WEFT_HEADER_PREFIX } from '../../common/contract';

export type Headers = Record<string, string | string[]>;

export interface ForwardOptions {
  /** Drop `weft-*` headers: the request came from outside the mesh. */
  dropWeftHeaders?: boolean;
  /** Keep `te: trailers`, which HTTP/2 allows and gRPC needs. */
  keepTeTrailers?: boolean;
}

/**
 * The headers to send on: no pseudo-headers, no hop-by-hop headers (nor those the Connection header names),
 * no Host (the upstream side writes the authority itself), no Expect (the proxy answered 100-continue).
 */
export function forwardHeaders(input: IncomingHttpHeaders, options: ForwardOptions = {}): Headers {
  const out: Headers = {};
  const connection = input.connection;
  const named = connection ? new Set(String(connection).toLowerCase().split(/\s*,\s*/)) : undefined;
  for (const name in input) {
    const value = input[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */) continue;
    if (HOP_BY_HOP.has(name) || named?.has(name) || name === 'host' || name === 'expect') {
      if (name === 'te' && options.keepTeTrailers && value === 'trailers') out.te = value;
      continue;
    }
    if (options.dropWeftHeaders && name.startsWith(WEFT_HEADER_PREFIX)) continue;
    out[name] = value;
  }
  return out;
}

/** Response headers from an upstream, minus pseudo and hop-by-hop headers (HTTP/2 forbids the latter). */
export function responseHeaders(input: IncomingHttpHeaders): Headers {
  return forwardHeaders(input);
}

export function isGrpc(contentType: string | string[] | undefined): boolean {
  return typeof contentType === 'string' && contentType.startsWith('application/grpc');
}
