// The `config.weft.io/*` annotations that shape one pod's proxy, read from the pod and, where the pod says
// nothing, from its namespace. A value the injector cannot honour is a problem named with its annotation and the
// accepted form: the pod is then left unmeshed rather than meshed differently from what was asked.
import { CONFIG } from '../common/contract';
import { LOG_LEVELS, LogLevel } from '../common/log';
import { parsePortList, PORT_LIST_FORM } from '../common/port-list';

export interface ResourceSettings {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}

export interface PodConfig {
  /** Port lists as written (blanks removed), handed to weft-proxy-init. */
  skipInboundPorts?: string;
  skipOutboundPorts?: string;
  /** The operator's own opaque ports, for the proxy's protocol detection. */
  opaquePorts?: string;
  logLevel?: LogLevel;
  resources?: ResourceSettings;
  /** Hold the app's start until the proxy is ready (classic sidecar only). */
  await: boolean;
  /** Forced on or off; undefined: by the cluster's version. */
  nativeSidecar?: boolean;
  waitBeforeExitSeconds?: number;
}

export type PodConfigResult = { ok: true; config: PodConfig } | { ok: false; problems: string[] };

/** Kubernetes resource quantities as the proxy's requests and limits are written: `100m`, `0.5`, `64Mi`, `1G`. */
const QUANTITY = /^(\d+(?:\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const QUANTITY_FORM = 'a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi';
const SUFFIX_FACTOR: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
/** A longer preStop sleep would outlast any sensible termination grace period. */
export const MAX_WAIT_BEFORE_EXIT_SECONDS = 3600;

function quantityValue(text: string): number {
  const m = QUANTITY.exec(text)!;
  return Number(m[1]) * SUFFIX_FACTOR[m[2] ?? ''];
}

export function readPodConfig(podAnnotations: Record<string, string>, namespaceAnnotations: Record<string, string>): PodConfigResult {
  const problems: string[] = [];
  const value = (name: string): string | undefined => (podAnnotations[name] ?? namespaceAnnotations[name])?.trim();
  const read = <T>(name: string, parse: (v: string) => T | undefined, form: string): T | undefined => {
    const text = value(name);
    if (text === undefined) return undefined;
    const parsed = parse(text);
    if (parsed === undefined) problems.push(`${name}: ${JSON.stringify(text)} is not valid: expected ${form}`);
    return parsed;
  };
  const portList = (name: string) => read(name, (v) => (parsePortList(v) ? v.replace(/\s+/g, '') : undefined), PORT_LIST_FORM);
  const quantity = (name: string) => read(name, (v) => (QUANTITY.test(v) ? v : undefined), QUANTITY_FORM);
  const oneOf = <T extends string>(name: string, choices: readonly T[]) =>
    read(name, (v) => choices.find((c) => c === v), `one of ${choices.join(', ')}`);

  const requests = { cpu: quantity(CONFIG.proxyCpuRequest), memory: quantity(CONFIG.proxyMemoryRequest) };
  const limits = { cpu: quantity(CONFIG.proxyCpuLimit), memory: quantity(CONFIG.proxyMemoryLimit) };
  for (const resource of ['cpu', 'memory'] as const) {
    const [request, limit] = [requests[resource], limits[resource]];
    // The API server would refuse the whole pod; better to say so here and leave the pod unmeshed.
    if (request && limit && quantityValue(request) > quantityValue(limit)) {
      problems.push(`the proxy's ${resource} request ${request} is above its limit ${limit}: lower the request or raise the limit`);
    }
  }
  const config: PodConfig = {
    skipInboundPorts: portList(CONFIG.skipInboundPorts),
    skipOutboundPorts: portList(CONFIG.skipOutboundPorts),
    opaquePorts: portList(CONFIG.opaquePorts),
    logLevel: oneOf(CONFIG.proxyLogLevel, LOG_LEVELS),
    resources: resourceSettings(requests, limits),
    await: oneOf(CONFIG.proxyAwait, ['enabled', 'disabled'] as const) !== 'disabled',
    nativeSidecar: read(CONFIG.proxyEnableNativeSidecar, (v) => ({ true: true, false: false })[v], 'true or false'),
    waitBeforeExitSeconds: read(
      CONFIG.proxyWaitBeforeExit,
      (v) => (/^\d+$/.test(v) && Number(v) <= MAX_WAIT_BEFORE_EXIT_SECONDS ? Number(v) : undefined),
      `a whole number of seconds from 0 to ${MAX_WAIT_BEFORE_EXIT_SECONDS}`,
    ),
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

function resourceSettings(requests: Record<string, string | undefined>, limits: Record<string, string | undefined>): ResourceSettings | undefined {
  const defined = (o: Record<string, string | undefined>) => {
    const entries = Object.entries(o).filter(([, v]) => v !== undefined);
    return entries.length > 0 ? (Object.fromEntries(entries) as { cpu?: string; memory?: string }) : undefined;
  };
  const settings: ResourceSettings = {};
  const r = defined(requests);
  const l = defined(limits);
  if (r) settings.requests = r;
  if (l) settings.limits = l;
  return r || l ? settings : undefined;
}
