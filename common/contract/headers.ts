// Header names weft reads or writes (CONTRACT.md "Protocol behaviour").

/** Overrides the authority an outbound request is routed by: `host:port`. */
export const DST_OVERRIDE = 'weft-dst-override';
/** Set between two proxies when an HTTP/1.x request travels over h2; value is the original version. */
export const ORIG_PROTO = 'weft-orig-proto';
/** On every response the proxy generates itself: a short reason. */
export const PROXY_ERROR = 'weft-proxy-error';
/** Request headers with this prefix from outside the mesh are removed at inbound. */
export const WEFT_HEADER_PREFIX = 'weft-';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus the legacy ones proxies conventionally drop. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** ALPN protocol for opaque TCP between two proxies. */
export const OPAQUE_TRANSPORT_ALPN = 'transport.weft.io/v1';
