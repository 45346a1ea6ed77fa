// weft's annotations on Services and pods, read into facts. A value that does not parse is an error that
// names the annotation and the form it takes, so the operator can fix the object.
import { CONFIG, ROUTE, SLO } from '../../common/contract';
import { DURATION_FORM, parseDuration } from '../../common/duration';
import type { RetrySpec } from '../../common/endpoints-file';
import { parsePortList, PORT_LIST_FORM } from '../../common/port-list';
import { ObjectiveParse, parseObjective } from '../../common/slo';
import type { RoutePolicy } from './types';

export class AnnotationError extends Error {
  override name = 'AnnotationError';
}

type Annotations = Readonly<Record<string, string>> | undefined;

/** retry.weft.io/* and timeout.weft.io/request on a Service. */
export function routePolicy(annotations: Annotations): RoutePolicy {
  const policy: RoutePolicy = {};
  const retry: RetrySpec = {};
  const http = annotations?.[ROUTE.retryHttp];
  const grpc = annotations?.[ROUTE.retryGrpc];
  const limit = annotations?.[ROUTE.retryLimit];
  if (http !== undefined) retry.http = http.trim();
  if (grpc !== undefined) retry.grpc = grpc.trim();
  if (limit !== undefined) {
    const n = Number(limit);
    if (limit.trim() === '' || !Number.isInteger(n) || n < 0) throw new AnnotationError(`${ROUTE.retryLimit}=${JSON.stringify(limit)} is not a whole number`);
    retry.limit = n;
  }
  const retryTimeout = duration(annotations, ROUTE.retryTimeout);
  if (retryTimeout !== undefined) retry.timeoutMs = retryTimeout;
  if (Object.keys(retry).length > 0) policy.retry = retry;
  const timeout = duration(annotations, ROUTE.requestTimeout);
  if (timeout !== undefined) policy.timeoutMs = timeout;
  return policy;
}

/**
 * slo.weft.io/* on a Service. Not thrown when invalid: a mistyped objective must not cost the service its
 * routing, so the caller logs the reason and exports no objective for it.
 */
export function serviceObjective(annotations: Annotations): ObjectiveParse {
  return parseObjective(
    { successRate: annotations?.[SLO.successRate], latency: annotations?.[SLO.latency], window: annotations?.[SLO.window] },
    SLO,
  );
}

/** config.weft.io/opaque-ports, sorted; empty when unset. */
export function opaquePorts(annotations: Annotations): number[] {
  const text = annotations?.[CONFIG.opaquePorts];
  if (text === undefined || text.trim() === '') return [];
  const ports = parsePortList(text);
  if (!ports) throw new AnnotationError(`${CONFIG.opaquePorts}=${JSON.stringify(text)} is not valid: expected ${PORT_LIST_FORM}`);
  return [...ports].sort((a, b) => a - b);
}

function duration(annotations: Annotations, name: string): number | undefined {
  const text = annotations?.[name];
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) throw new AnnotationError(`${name}=${JSON.stringify(text)} is not valid: expected ${DURATION_FORM}`);
  return ms;
}
