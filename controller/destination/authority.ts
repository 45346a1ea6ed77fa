// Authorities as the app wrote them → what they name in the cluster, following Kubernetes DNS: a pod's
// resolver expands `web` in its own namespace, and `<svc>.<ns>.svc.<cluster-domain>` is the full form.
import * as net from 'node:net';
import { parseHostPort } from '../../common/address';
import type { Target } from '../cluster/types';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export class InvalidAuthority extends Error {
  override name = 'InvalidAuthority';
}

/**
 * `web:8080` (in `callerNamespace`), `web.demo.svc:8080`, `web.demo.svc.cluster.local:8080`,
 * `web-0.web.demo.svc.cluster.local:8080` (one pod of a headless service), `10.1.0.7:8080`, or any other
 * name (outside the cluster). Throws InvalidAuthority for anything that is not host:port.
 */
export function parseAuthority(authority: string, callerNamespace: string, clusterDomain = DEFAULT_CLUSTER_DOMAIN): Target {
  const hostPort = parseHostPort(authority);
  if (!hostPort || hostPort.port === 0) {
    throw new InvalidAuthority(`authority ${JSON.stringify(authority)} is not host:port (e.g. web.demo.svc.cluster.local:8080)`);
  }
  const { port } = hostPort;
  if (net.isIP(hostPort.host)) return { kind: 'ip', ip: hostPort.host, port };
  const host = hostPort.host.toLowerCase().replace(/\.$/, '');
  const labels = host.split('.');
  if (host.length > 253 || !labels.every((l) => DNS_LABEL.test(l))) {
    throw new InvalidAuthority(`authority ${JSON.stringify(authority)} does not hold a valid DNS name`);
  }
  const clusterSuffix = `.svc.${clusterDomain}`;
  if (host.endsWith(clusterSuffix)) return serviceTarget(labels.slice(0, -(clusterDomain.split('.').length + 1)), port, authority);
  if (host.endsWith('.svc')) return serviceTarget(labels.slice(0, -1), port, authority);
  if (labels.length === 1) return { kind: 'service', namespace: callerNamespace, name: host, port };
  return { kind: 'name', host, port };
}

function serviceTarget(labels: string[], port: number, authority: string): Target {
  if (labels.length === 2) return { kind: 'service', name: labels[0], namespace: labels[1], port };
  if (labels.length === 3) return { kind: 'service', hostname: labels[0], name: labels[1], namespace: labels[2], port };
  throw new InvalidAuthority(
    `authority ${JSON.stringify(authority)} is under the cluster's service domain but names no service: expected <service>.<namespace>.svc[.<cluster-domain>]`,
  );
}

/** The caller's namespace from the request's context token (`{"ns":"demo"}`); "default" when none is given. */
export function namespaceFromContext(token: string): string {
  if (token.trim() === '') return 'default';
  let parsed: unknown;
  try {
    parsed = JSON.parse(token);
  } catch {
    throw new InvalidAuthority(`context token ${JSON.stringify(token)} is not JSON; expected {"ns":"<namespace>"}`);
  }
  const ns = (parsed as { ns?: unknown } | null)?.ns;
  if (ns === undefined) return 'default';
  if (typeof ns !== 'string' || !DNS_LABEL.test(ns)) {
    throw new InvalidAuthority(`context token names no valid namespace: ${JSON.stringify(token)}; expected {"ns":"<namespace>"}`);
  }
  return ns;
}
