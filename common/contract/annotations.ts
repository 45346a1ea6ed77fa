// Kubernetes annotations and labels (CONTRACT.md "Kubernetes").

export const CONTROL_PLANE_NAMESPACE = 'weft';
export const INJECT = 'weft.io/inject';
export const INJECT_VALUES = ['enabled', 'disabled', 'ingress'] as const;
export const PROXY_VERSION = 'weft.io/proxy-version';
export const PROXY_DEPLOYMENT_LABEL = 'weft.io/proxy-deployment';

const C = 'config.weft.io/';
export const CONFIG = {
  skipInboundPorts: `${C}skip-inbound-ports`,
  skipOutboundPorts: `${C}skip-outbound-ports`,
  opaquePorts: `${C}opaque-ports`,
  proxyLogLevel: `${C}proxy-log-level`,
  proxyCpuRequest: `${C}proxy-cpu-request`,
  proxyCpuLimit: `${C}proxy-cpu-limit`,
  proxyMemoryRequest: `${C}proxy-memory-request`,
  proxyMemoryLimit: `${C}proxy-memory-limit`,
  proxyAwait: `${C}proxy-await`,
} as const;

export const ROUTE = {
  retryHttp: 'retry.weft.io/http',
  retryGrpc: 'retry.weft.io/grpc',
  retryLimit: 'retry.weft.io/limit',
  retryTimeout: 'retry.weft.io/timeout',
  retryMethods: 'retry.weft.io/methods',
  requestTimeout: 'timeout.weft.io/request',
} as const;
