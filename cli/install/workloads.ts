// The control plane's Deployments, Services and (with --ha) PodDisruptionBudgets: one per role, each running
// `weft-controller <role>` with the flags CONTRACT.md gives it, as a non-root user on a read-only filesystem.
// identity holds the issuer and signs its own serving certificate; destination and tap Certify with their
// projected service-account tokens, like proxies; the injector and tap's aggregated API serve with their mounted
// Secrets.
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { parseHostPort } from '../../common/address';
import {
  CONTROL_PLANE_COMPONENT_LABEL,
  CONTROL_PLANE_SERVICES,
  CONTROLLER_ADMIN_ADDR,
  CONTROLLER_DESTINATION_ADDR,
  CONTROLLER_IDENTITY_ADDR,
  CONTROLLER_INJECTOR_ADDR,
  CONTROLLER_TAP_ADDR,
  CONTROLLER_UID,
  INJECT,
  INJECTOR_SERVICE,
  INJECTOR_SERVICE_PORT,
  INJECTOR_TLS_SECRET,
  ISSUER_SECRET,
  TAP_SERVICE_PORT,
  TAP_TLS_SECRET,
  TOKEN_AUDIENCE,
  TOKEN_DIR,
  TOKEN_EXPIRATION_SECONDS,
  TOKEN_FILE_NAME,
  TOKEN_VOLUME,
  TRUST_ROOTS_CONFIG_MAP,
  TRUST_ROOTS_KEY,
} from '../../common/contract';
import { componentLabels, InstallPlan, metadata, NAMESPACE } from './plan';
import { ROLE_RBAC } from './rbac';

type Role = keyof typeof ROLE_RBAC;

const TRUST_ROOTS_DIR = '/var/run/weft/identity/trust-roots';
const TRUST_ROOTS_FILE = `${TRUST_ROOTS_DIR}/${TRUST_ROOTS_KEY}`;
const ISSUER_DIR = '/var/run/weft/identity/issuer';
const INJECTOR_TLS_DIR = '/var/run/weft/injector/tls';
const TAP_TLS_DIR = '/var/run/weft/tap/tls';
const ADMIN_PORT = 'admin-http';
const port = (addr: string) => parseHostPort(addr)!.port;

interface Mount {
  volume: IVolume;
  mountPath: string;
}

const TRUST_ROOTS: Mount = { volume: { name: 'trust-roots', configMap: { name: TRUST_ROOTS_CONFIG_MAP } }, mountPath: TRUST_ROOTS_DIR };
const ISSUER: Mount = { volume: { name: 'identity-issuer', secret: { secretName: ISSUER_SECRET } }, mountPath: ISSUER_DIR };
const INJECTOR_TLS: Mount = { volume: { name: 'injector-tls', secret: { secretName: INJECTOR_TLS_SECRET } }, mountPath: INJECTOR_TLS_DIR };
const TAP_TLS: Mount = { volume: { name: 'tap-tls', secret: { secretName: TAP_TLS_SECRET } }, mountPath: TAP_TLS_DIR };
/** The token destination and tap prove themselves to identity with (audience identity.weft.io), as a proxy's. */
const TOKEN: Mount = {
  volume: {
    name: TOKEN_VOLUME,
    projected: { sources: [{ serviceAccountToken: { audience: TOKEN_AUDIENCE, expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: TOKEN_FILE_NAME } }] },
  },
  mountPath: TOKEN_DIR,
};

interface RoleWorkload {
  deployment: string;
  service: string;
  servicePort: number;
  portName: string;
  listenAddr: string;
  mounts: Mount[];
  /** The role's own flags (the admin address and logs are added for every role). */
  flags(plan: InstallPlan): string[];
}

/** How destination and tap get their certificates: Certify at the identity Service with their token. */
function certifyFlags(plan: InstallPlan): string[] {
  const identity = `${CONTROL_PLANE_SERVICES.identity.service}.${NAMESPACE}.svc.${plan.values.clusterDomain}:${port(CONTROLLER_IDENTITY_ADDR)}`;
  return ['--trust-anchors', TRUST_ROOTS_FILE, '--identity-svc-addr', identity, '--identity-token-file', `${TOKEN_DIR}/${TOKEN_FILE_NAME}`, '--trust-domain', plan.values.trustDomain];
}

export const ROLE_WORKLOADS: Record<Role, RoleWorkload> = {
  identity: {
    deployment: 'weft-identity',
    service: CONTROL_PLANE_SERVICES.identity.service,
    servicePort: port(CONTROLLER_IDENTITY_ADDR),
    portName: 'grpc',
    listenAddr: CONTROLLER_IDENTITY_ADDR,
    mounts: [TRUST_ROOTS, ISSUER],
    flags: (plan) => ['--identity-addr', CONTROLLER_IDENTITY_ADDR, '--issuer-dir', ISSUER_DIR, '--trust-anchors', TRUST_ROOTS_FILE, '--issuance-lifetime', plan.values['identity.issuanceLifetime']],
  },
  destination: {
    deployment: 'weft-destination',
    service: CONTROL_PLANE_SERVICES.destination.service,
    servicePort: port(CONTROLLER_DESTINATION_ADDR),
    portName: 'grpc',
    listenAddr: CONTROLLER_DESTINATION_ADDR,
    mounts: [TRUST_ROOTS, TOKEN],
    flags: (plan) => ['--destination-addr', CONTROLLER_DESTINATION_ADDR, ...certifyFlags(plan)],
  },
  injector: {
    deployment: INJECTOR_SERVICE,
    service: INJECTOR_SERVICE,
    servicePort: INJECTOR_SERVICE_PORT,
    portName: 'https',
    listenAddr: CONTROLLER_INJECTOR_ADDR,
    mounts: [INJECTOR_TLS],
    flags: () => ['--injector-addr', CONTROLLER_INJECTOR_ADDR, '--injector-tls-dir', INJECTOR_TLS_DIR, '--control-plane-namespace', NAMESPACE],
  },
  tap: {
    deployment: 'weft-tap',
    service: CONTROL_PLANE_SERVICES.tap.service,
    // The aggregation layer calls the APIService's Service on 443; the container serves HTTPS on the tap port.
    servicePort: TAP_SERVICE_PORT,
    portName: 'https',
    listenAddr: CONTROLLER_TAP_ADDR,
    mounts: [TRUST_ROOTS, TOKEN, TAP_TLS],
    flags: (plan) => ['--tap-addr', CONTROLLER_TAP_ADDR, '--tap-tls-dir', TAP_TLS_DIR, ...certifyFlags(plan)],
  },
};

const ROLES = Object.keys(ROLE_WORKLOADS) as Role[];
const selector = (role: Role) => ({ [CONTROL_PLANE_COMPONENT_LABEL]: role });

function resources(plan: InstallPlan): IContainer['resources'] {
  const v = plan.values;
  const pick = (cpu: string, memory: string) => {
    const set = Object.entries({ cpu, memory }).filter(([, q]) => q !== '');
    return set.length > 0 ? Object.fromEntries(set) : undefined;
  };
  const requests = pick(v['controller.cpuRequest'], v['controller.memoryRequest']);
  const limits = pick(v['controller.cpuLimit'], v['controller.memoryLimit']);
  return requests || limits ? { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } : undefined;
}

function container(plan: InstallPlan, role: Role): IContainer {
  const w = ROLE_WORKLOADS[role];
  const v = plan.values;
  const probe = (path: string) => ({ httpGet: { path, port: ADMIN_PORT }, periodSeconds: 10, failureThreshold: 3 });
  return {
    name: role,
    image: `${v['controller.image']}:${v['controller.version']}`,
    imagePullPolicy: v['controller.imagePullPolicy'],
    args: [role, ...w.flags(plan), '--admin-addr', CONTROLLER_ADMIN_ADDR, '--log-level', v['controller.logLevel'], '--log-format', v['controller.logFormat']],
    ports: [
      { name: w.portName, containerPort: port(w.listenAddr), protocol: 'TCP' },
      { name: ADMIN_PORT, containerPort: port(CONTROLLER_ADMIN_ADDR), protocol: 'TCP' },
    ],
    readinessProbe: probe('/ready'),
    livenessProbe: { ...probe('/live'), initialDelaySeconds: 10 },
    ...(resources(plan) ? { resources: resources(plan) } : {}),
    securityContext: {
      runAsUser: CONTROLLER_UID,
      runAsGroup: CONTROLLER_UID,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: w.mounts.map((m): IVolumeMount => ({ name: m.volume.name, mountPath: m.mountPath, readOnly: true })),
  };
}

/** --ha: no two replicas of a role on one node, so losing a node loses at most one of each. */
function antiAffinity(role: Role) {
  return {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: selector(role) }, topologyKey: 'kubernetes.io/hostname' }],
    },
  };
}

export function deployments(plan: InstallPlan): IDeployment[] {
  return ROLES.map((role) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(ROLE_WORKLOADS[role].deployment, role),
    spec: {
      replicas: plan.values['controller.replicas'],
      selector: { matchLabels: selector(role) },
      template: {
        // Never meshed: the webhook skips this namespace, and the annotation says so to anyone reading the pod.
        metadata: { labels: componentLabels(role), annotations: { [INJECT]: 'disabled' } },
        spec: {
          serviceAccountName: ROLE_RBAC[role].serviceAccount,
          ...(plan.values.ha ? { affinity: antiAffinity(role) } : {}),
          containers: [container(plan, role)],
          volumes: ROLE_WORKLOADS[role].mounts.map((m) => m.volume),
        },
      },
    },
  }));
}

export function services(): IService[] {
  return ROLES.map((role) => {
    const w = ROLE_WORKLOADS[role];
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: metadata(w.service, role),
      spec: { type: 'ClusterIP', selector: selector(role), ports: [{ name: w.portName, port: w.servicePort, targetPort: w.portName, protocol: 'TCP' }] },
    };
  });
}

export function podDisruptionBudgets(plan: InstallPlan): IPodDisruptionBudget[] {
  if (!plan.values.ha) return [];
  return ROLES.map((role) => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata(ROLE_WORKLOADS[role].deployment, role),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector(role) } },
  }));
}
