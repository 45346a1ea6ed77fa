// Environment variable names read by weft-proxy (CONTRACT.md "Other proxy env").

const P = 'WEFT_PROXY_';

export const ENV = {
  outboundListenAddr: `${P}OUTBOUND_LISTEN_ADDR`,
  inboundListenAddr: `${P}INBOUND_LISTEN_ADDR`,
  adminListenAddr: `${P}ADMIN_LISTEN_ADDR`,
  tapListenAddr: `${P}TAP_LISTEN_ADDR`,
  log: `${P}LOG`,
  logFormat: `${P}LOG_FORMAT`,
  destinationSvcAddr: `${P}DESTINATION_SVC_ADDR`,
  destinationFile: `${P}DESTINATION_FILE`,
  // Beyond CONTRACT.md, documented in docs/contract.md: who the proxy is, sent with every discovery request
  // (JSON, {"ns":"<pod namespace>"}) so short names resolve in the pod's own namespace, as in Linkerd2.
  destinationContext: `${P}DESTINATION_CONTEXT`,
  identitySvcAddr: `${P}IDENTITY_SVC_ADDR`,
  identityDir: `${P}IDENTITY_DIR`,
  identityTokenFile: `${P}IDENTITY_TOKEN_FILE`,
  identityLocalName: `${P}IDENTITY_LOCAL_NAME`,
  identityTrustAnchors: `${P}IDENTITY_TRUST_ANCHORS`,
  identityDisabled: `${P}IDENTITY_DISABLED`,
  inboundAppAddr: `${P}INBOUND_APP_ADDR`,
  inboundOpaquePorts: `${P}INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION`,
  outboundOpaquePorts: `${P}OUTBOUND_PORTS_DISABLE_PROTOCOL_DETECTION`,
  outboundConnectTimeout: `${P}OUTBOUND_CONNECT_TIMEOUT`,
  inboundConnectTimeout: `${P}INBOUND_CONNECT_TIMEOUT`,
  detectProtocolTimeout: `${P}DETECT_PROTOCOL_TIMEOUT`,
  shutdownGracePeriod: `${P}SHUTDOWN_GRACE_PERIOD`,
  // Beyond CONTRACT.md, documented in docs/contract.md: how long a client may take to send request headers.
  httpHeaderTimeout: `${P}HTTP_HEADER_TIMEOUT`,
  /** The app's ports: the only ports the opaque transport header (and the original destination) may name. */
  inboundPorts: `${P}INBOUND_PORTS`,
  httpMaxHeaders: `${P}HTTP_MAX_HEADERS`,
  http2MaxConcurrentStreams: `${P}HTTP2_MAX_CONCURRENT_STREAMS`,
  idleCacheTimeout: `${P}IDLE_CACHE_TIMEOUT`,
  /** HTTP/1.1 between two proxies: connections per peer, and requests that may wait for one (proxy/http/http1-upstream.ts). */
  outboundPeerMaxConnections: `${P}OUTBOUND_PEER_MAX_CONNECTIONS`,
  outboundPeerMaxQueued: `${P}OUTBOUND_PEER_MAX_QUEUED`,
  /** The identity names the control plane's TLS certificates must carry (its identity and destination services). */
  identitySvcName: `${P}IDENTITY_SVC_NAME`,
  destinationSvcName: `${P}DESTINATION_SVC_NAME`,
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
