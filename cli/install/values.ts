// The install values: every knob `weft install --set key=value` turns, its form, its default (some differ with
// `--ha`) and what it does. docs/install.md shows this table (a test keeps the two equal). An unknown key is
// named with the nearest valid ones; a value of the wrong form names the form.
import { DEFAULT_CONTROLLER_IMAGE, DEFAULT_TRUST_DOMAIN, WEBHOOK_TIMEOUT_SECONDS } from '../../common/contract';
import { DURATION_FORM, parseDuration } from '../../common/duration';
import { UsageError } from '../../common/errors';
import { LOG_LEVELS } from '../../common/log';
import { DEFAULT_CLUSTER_NETWORKS, DEFAULT_PROXY_IMAGE } from '../../injector/mesh-config';
import { version as WEFT_VERSION } from '../../package.json';

interface ValueSpec<T> {
  /** What --set accepts, for the docs and errors. */
  form: string;
  description: string;
  default: (ha: boolean) => T;
  /** The value, or undefined when `text` is not of the form. */
  parse: (text: string) => T | undefined;
  /** How the docs show the default. */
  show?: (value: T) => string;
}

const spec = <T>(s: ValueSpec<T>): ValueSpec<T> => s;

const text = (check: RegExp) => (t: string) => (check.test(t) ? t : undefined);
const oneOf = <T extends string>(choices: readonly T[]) => (t: string) => choices.find((c) => c === t);
const boolean = (t: string) => (t === 'true' ? true : t === 'false' ? false : undefined);
const wholeNumber = (min: number, max: number) => (t: string) => {
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  return n >= min && n <= max ? n : undefined;
};
const duration = (t: string) => (parseDuration(t) !== undefined && parseDuration(t)! >= 1000 ? t : undefined);
/** Kubernetes resource quantities (`100m`, `1`, `64Mi`), or empty for none. */
const QUANTITY = /^$|^\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/;
const ANY_TEXT = /^.+$/;
const LIST = (t: string) => t.split(',').map((s) => s.trim()).filter((s) => s !== '');
const showList = (v: readonly string[]) => v.join(',');
const showEmpty = (v: string) => (v === '' ? '(none)' : v);
/** No resource requests without --ha: a small cluster schedules it anyway. Linkerd's HA figures. */
const haOnly = (value: string) => (ha: boolean) => (ha ? value : '');

export const VALUE_SPECS = {
  ha: spec({ form: 'true or false', description: 'what --ha sets: 3 replicas, PodDisruptionBudgets, pod anti-affinity, failurePolicy Fail, requests and limits', default: () => false, parse: boolean }),
  trustDomain: spec({ form: 'a DNS name', description: 'trust domain of the identities (generated anchors are made for it)', default: () => DEFAULT_TRUST_DOMAIN, parse: text(ANY_TEXT) }),
  clusterDomain: spec({ form: 'a DNS name', description: "the cluster's DNS domain, in the control plane's Service addresses", default: () => 'cluster.local', parse: text(ANY_TEXT) }),
  clusterNetworks: spec({ form: 'CIDRs, comma-separated', description: 'pod and service networks of the cluster', default: () => [...DEFAULT_CLUSTER_NETWORKS], parse: LIST, show: showList }),
  'proxy.image': spec({ form: 'an image repository, no tag', description: 'the proxy image injected into pods', default: () => DEFAULT_PROXY_IMAGE, parse: text(ANY_TEXT) }),
  'proxy.version': spec({ form: 'an image tag', description: "the proxy image's tag", default: () => WEFT_VERSION, parse: text(ANY_TEXT), show: () => 'this weft\'s version' }),
  'proxy.logLevel': spec({ form: LOG_LEVELS.join(', '), description: 'log level of injected proxies', default: () => 'warn' as const, parse: oneOf(LOG_LEVELS) }),
  'proxy.logFormat': spec({ form: 'plain or json', description: 'log format of injected proxies', default: () => 'plain' as const, parse: oneOf(['plain', 'json'] as const) }),
  'controller.image': spec({ form: 'an image repository, no tag', description: 'the control-plane image (Dockerfile.controller)', default: () => DEFAULT_CONTROLLER_IMAGE, parse: text(/^[a-z0-9]+([._\-/:][a-z0-9]+)*$/) }),
  'controller.version': spec({ form: 'an image tag', description: "the control-plane image's tag", default: () => WEFT_VERSION, parse: text(/^[\w][\w.-]{0,127}$/), show: () => 'this weft\'s version' }),
  'controller.imagePullPolicy': spec({ form: 'Always, IfNotPresent or Never', description: 'pull policy of the control-plane pods', default: () => 'IfNotPresent' as const, parse: oneOf(['Always', 'IfNotPresent', 'Never'] as const) }),
  'controller.logLevel': spec({ form: LOG_LEVELS.join(', '), description: 'log level of the control plane', default: () => 'info' as const, parse: oneOf(LOG_LEVELS) }),
  'controller.logFormat': spec({ form: 'plain or json', description: 'log format of the control plane', default: () => 'json' as const, parse: oneOf(['plain', 'json'] as const) }),
  'controller.replicas': spec({ form: 'a whole number, 1 to 10', description: 'replicas of each control-plane Deployment', default: (ha) => (ha ? 3 : 1), parse: wholeNumber(1, 10), show: String }),
  'controller.cpuRequest': spec({ form: 'a CPU quantity, or empty', description: 'CPU request of each control-plane container', default: haOnly('100m'), parse: text(QUANTITY), show: showEmpty }),
  'controller.cpuLimit': spec({ form: 'a CPU quantity, or empty', description: 'CPU limit of each control-plane container', default: haOnly('1'), parse: text(QUANTITY), show: showEmpty }),
  'controller.memoryRequest': spec({ form: 'a memory quantity, or empty', description: 'memory request of each control-plane container', default: haOnly('64Mi'), parse: text(QUANTITY), show: showEmpty }),
  'controller.memoryLimit': spec({ form: 'a memory quantity, or empty', description: 'memory limit of each control-plane container', default: haOnly('256Mi'), parse: text(QUANTITY), show: showEmpty }),
  'identity.externalIssuer': spec({ form: 'true or false', description: 'what --identity-external-issuer sets: the issuer Secret is not emitted, so cert-manager can own it', default: () => false, parse: boolean }),
  'identity.issuanceLifetime': spec({ form: DURATION_FORM, description: 'how long the proxies\' certificates are valid', default: () => '24h', parse: duration }),
  'webhook.failurePolicy': spec({ form: 'Ignore or Fail', description: 'what the API server does when the injector cannot answer', default: (ha) => (ha ? 'Fail' : 'Ignore'), parse: oneOf(['Ignore', 'Fail'] as const) }),
  'webhook.timeoutSeconds': spec({ form: 'a whole number, 1 to 30', description: 'how long the API server waits for the injector', default: () => WEBHOOK_TIMEOUT_SECONDS, parse: wholeNumber(1, 30), show: String }),
};

type Specs = typeof VALUE_SPECS;
export type ValueKey = keyof Specs;
export type InstallValues = { [K in ValueKey]: Specs[K] extends ValueSpec<infer T> ? T : never };
/** The values given (by --set, --ha or kept from an earlier install), as text: what `weft upgrade` keeps. */
export type GivenValues = Partial<Record<ValueKey, string>>;

export const VALUE_KEYS = Object.keys(VALUE_SPECS) as ValueKey[];

/** `key=value` of a --set flag; a key nobody knows is named with the nearest valid ones. */
export function parseSetFlag(flag: string): [ValueKey, string] {
  const at = flag.indexOf('=');
  if (at <= 0) throw new UsageError(`--set ${JSON.stringify(flag)} is not key=value: e.g. --set controller.replicas=2; the keys are in docs/install.md`);
  const key = flag.slice(0, at);
  const value = flag.slice(at + 1);
  if (!(VALUE_KEYS as string[]).includes(key)) {
    throw new UsageError(`--set ${key}: unknown key; nearest: ${nearestKeys(key).join(', ')} (every key is in docs/install.md)`);
  }
  return [key as ValueKey, value];
}

/** The values with the given ones on top of the defaults (which --ha changes); every bad one named at once. */
export function resolveValues(given: GivenValues): InstallValues {
  const problems: string[] = [];
  const read = <K extends ValueKey>(key: K, ha: boolean): InstallValues[K] => {
    const s = VALUE_SPECS[key] as unknown as ValueSpec<InstallValues[K]>;
    const raw = given[key];
    if (raw === undefined) return s.default(ha);
    const value = s.parse(raw);
    if (value === undefined) {
      problems.push(`${key}=${JSON.stringify(raw)}: expected ${s.form}`);
      return s.default(ha);
    }
    return value;
  };
  const ha = read('ha', false);
  const values = Object.fromEntries(VALUE_KEYS.map((key) => [key, read(key, ha)])) as InstallValues;
  if (problems.length > 0) throw new UsageError(`--set ${problems.join('; ')}`);
  return values;
}

/** Up to three keys closest to `key` by edit distance (to the whole key, or to its last part). */
export function nearestKeys(key: string, count = 3): ValueKey[] {
  const distance = (k: string) => Math.min(editDistance(key, k), editDistance(key, k.split('.').pop()!) + 1);
  return [...VALUE_KEYS].sort((a, b) => distance(a) - distance(b) || a.localeCompare(b)).slice(0, count);
}

/** Levenshtein distance, case-insensitive. */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length];
}

/** The values table as docs/install.md shows it. */
export function valuesTableMarkdown(): string {
  const rows = VALUE_KEYS.map((key) => {
    const s = VALUE_SPECS[key] as ValueSpec<unknown>;
    const show = (v: unknown) => (s.show ? s.show(v) : String(v));
    const plain = show(s.default(false));
    const ha = show(s.default(true));
    return `| \`${key}\` | ${s.form} | ${plain === ha ? plain : `${plain}; --ha: ${ha}`} | ${s.description} |`;
  });
  return ['| key | form | default | what |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}
