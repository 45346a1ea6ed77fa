// The scrape jobs of `weft install prometheus`: Kubernetes pod discovery, kept down to the proxies' admin ports
// and the controller's, with each series labelled by its pod (namespace, pod, workload).
import {
  ADMIN_PORT_NAME,
  CONTROL_PLANE_NS_LABEL,
  CONTROLLER_ADMIN_PORT_NAME,
  POD_SERIES_LABELS,
  PROMETHEUS_JOB,
  PROXY_CONTAINER,
  PROXY_WORKLOAD_KINDS,
  proxyWorkloadLabel,
  WORKLOAD_SERIES_LABEL,
} from '../../common/contract';

export interface ScrapeOptions {
  /** The namespace of the control plane: the proxies it injected carry it in `weft.io/control-plane-ns`. */
  controlPlaneNamespace: string;
  /** Kubernetes API server URL for discovery; unset inside a cluster (Prometheus uses its service account). */
  apiServer?: string;
  scrapeInterval: string;
}

interface RelabelConfig {
  source_labels?: string[];
  regex?: string;
  action?: 'keep' | 'drop' | 'replace';
  target_label?: string;
}

/** Prometheus' name for a pod label: every character outside [a-zA-Z0-9_] becomes `_`. */
export function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

const copy = (source: string, target: string): RelabelConfig => ({ source_labels: [source], target_label: target });

/** Pods that have finished keep their address for a while but serve nothing. */
const DROP_FINISHED: RelabelConfig = { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Succeeded|Failed', action: 'drop' };

const POD_LABELS: RelabelConfig[] = [
  copy('__meta_kubernetes_namespace', POD_SERIES_LABELS.namespace),
  copy('__meta_kubernetes_pod_name', POD_SERIES_LABELS.pod),
];

function discovery(options: ScrapeOptions, namespaces?: string[]) {
  return [{ role: 'pod', ...(options.apiServer ? { api_server: options.apiServer } : {}), ...(namespaces ? { namespaces: { names: namespaces } } : {}) }];
}

/**
 * Every pod's `weft-proxy` container at its `weft-admin` port, in whichever list it is: the pod role lists init
 * containers too (`__meta_kubernetes_pod_container_init="true"`), which is where a native sidecar lives.
 */
function proxyJob(options: ScrapeOptions) {
  return {
    job_name: PROMETHEUS_JOB.proxy,
    kubernetes_sd_configs: discovery(options),
    relabel_configs: [
      {
        source_labels: ['__meta_kubernetes_pod_container_name', '__meta_kubernetes_pod_container_port_name', podLabelMeta(CONTROL_PLANE_NS_LABEL)],
        regex: `${PROXY_CONTAINER};${ADMIN_PORT_NAME};${options.controlPlaneNamespace}`,
        action: 'keep',
      },
      DROP_FINISHED,
      ...POD_LABELS,
      ...PROXY_WORKLOAD_KINDS.map((kind) => copy(podLabelMeta(proxyWorkloadLabel(kind)), WORKLOAD_SERIES_LABEL[kind])),
    ],
  };
}

/**
 * The controller's admin port in its own namespace. Its labels win over the target's (honor_labels): the SLO
 * gauges name the Service they are about in `namespace`, which must not become the controller pod's.
 */
function controllerJob(options: ScrapeOptions) {
  return {
    job_name: PROMETHEUS_JOB.controller,
    honor_labels: true,
    kubernetes_sd_configs: discovery(options, [options.controlPlaneNamespace]),
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: CONTROLLER_ADMIN_PORT_NAME, action: 'keep' },
      DROP_FINISHED,
      ...POD_LABELS,
      copy('__meta_kubernetes_pod_container_name', 'container'),
    ],
  };
}

export function scrapeConfigs(options: ScrapeOptions): object[] {
  return [proxyJob(options), controllerJob(options)];
}
