// Names in the patch the injector makes (CONTRACT.md "Injection"): containers, ports, volumes, where they are
// mounted, and why a pod is left alone.

export const PROXY_CONTAINER = 'weft-proxy';
export const INIT_CONTAINER = 'weft-init';
/** The programs of the proxy image the patch runs. */
export const PROXY_COMMAND = 'weft-proxy';
export const PROXY_INIT_COMMAND = 'weft-proxy-init';
/** `weft-proxy await`: the classic sidecar's postStart hook, which holds the app until the proxy is ready. */
export const AWAIT_SUBCOMMAND = 'await';

export const PROXY_PORT_NAME = 'weft-proxy';
export const ADMIN_PORT_NAME = 'weft-admin';

export const END_ENTITY_VOLUME = 'weft-identity-end-entity';
export const TOKEN_VOLUME = 'weft-identity-token';
/** iptables takes a lock under /run; the init container's root filesystem is read-only. */
export const XTABLES_LOCK_VOLUME = 'weft-proxy-init-xtables-lock';
export const END_ENTITY_DIR = '/var/run/weft/identity/end-entity';
export const TOKEN_DIR = '/var/run/secrets/tokens';
export const TOKEN_FILE_NAME = 'weft-identity-token';
export const TOKEN_EXPIRATION_SECONDS = 86_400;
export const XTABLES_LOCK_DIR = '/run';

/** The ConfigMap `weft install` writes and the injector reads, and the data key holding the mesh config. */
export const MESH_CONFIG_MAP = 'weft-config';
export const MESH_CONFIG_KEY = 'config.yaml';

/** Why the injector leaves a pod alone: the `skip_reason` label of its metrics and the CLI's stderr lines. */
export const SKIP_REASONS = {
  alreadyInjected: 'already_injected',
  hostNetwork: 'host_network',
  injectionDisabled: 'injection_disabled',
  /** Neither the pod nor its namespace says `weft.io/inject: enabled` or `ingress`. */
  injectionNotEnabled: 'injection_not_enabled',
  kubeSystemNamespace: 'kube_system_namespace',
  controlPlaneNamespace: 'control_plane_namespace',
  /** `automountServiceAccountToken: false`: the pod opts out of the token the proxy proves its identity with. */
  noServiceAccountToken: 'no_service_account_token',
  /** Beyond CONTRACT.md: a `weft.io/` or `config.weft.io/` annotation the injector cannot honour. */
  invalidConfig: 'invalid_config',
} as const;
export type SkipReason = (typeof SKIP_REASONS)[keyof typeof SKIP_REASONS];

export const KUBE_SYSTEM_NAMESPACE = 'kube-system';
/** Native sidecars (init containers with `restartPolicy: Always`) are on by default from this Kubernetes version. */
export const NATIVE_SIDECAR_MIN_VERSION = { major: 1, minor: 29 } as const;

/** The webhook (CONTRACT.md "Control plane", "Kubernetes"): its Service, path, configuration and limits. */
export const INJECTOR_SERVICE = 'weft-proxy-injector';
export const INJECTOR_SERVICE_PORT = 443;
export const INJECTOR_PATH = '/inject';
export const INJECTOR_WEBHOOK_CONFIGURATION = 'weft-proxy-injector-webhook-config';
export const INJECTOR_WEBHOOK_NAME = 'weft-proxy-injector.weft.io';
export const WEBHOOK_TIMEOUT_SECONDS = 10;
/** The files of the kubernetes.io/tls Secret mounted at `--injector-tls-dir`. */
export const INJECTOR_TLS_FILES = { cert: 'tls.crt', key: 'tls.key' } as const;
/** The largest AdmissionReview body the injector reads (the API server's own request limit is 3 MiB). */
export const ADMISSION_REVIEW_MAX_BYTES = 3 * 1024 * 1024;
/** Set by the API server on every namespace: what a webhook's namespaceSelector can match a name by. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Why the webhook answered without a patch for reasons beyond the pod itself (its `skip_reason` label). */
export const WEBHOOK_SKIP_REASONS = {
  /** The injector could not decide (no or bad mesh config, the API unreachable, out of time): allowed, with a warning. */
  internalError: 'internal_error',
  /** A review for something other than a pod CREATE: the webhook configuration sends more than it should. */
  notAPodCreate: 'not_a_pod_create',
  /** The body was not an AdmissionReview admission.k8s.io/v1 with a request (answered 400 or 413). */
  invalidReview: 'invalid_review',
} as const;
