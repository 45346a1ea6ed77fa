// Default listen addresses and well-known ports (CONTRACT.md "Proxy ports", "Control plane").

export const PROXY_OUTBOUND_ADDR = '127.0.0.1:4140';
export const PROXY_INBOUND_ADDR = '0.0.0.0:4143';
export const PROXY_ADMIN_ADDR = '0.0.0.0:4191';
export const PROXY_TAP_ADDR = '0.0.0.0:4190';
/** iptables skips the proxy's own traffic by this UID. */
export const PROXY_UID = 2102;

export const CONTROLLER_IDENTITY_ADDR = '0.0.0.0:8080';
export const CONTROLLER_DESTINATION_ADDR = '0.0.0.0:8086';
export const CONTROLLER_INJECTOR_ADDR = '0.0.0.0:8443';
export const CONTROLLER_TAP_ADDR = '0.0.0.0:8089';
export const CONTROLLER_ADMIN_ADDR = '0.0.0.0:9990';

/** Server-speaks-first protocols: SMTP, MySQL, Galera, Postgres, Redis, Elasticsearch, memcached. */
export const DEFAULT_OPAQUE_PORTS: readonly number[] = [25, 587, 3306, 4444, 5432, 6379, 9300, 11211];
