// Where the controller's Kubernetes credentials come from: --kubeconfig FILE, else the pod's in-cluster config.
// Loaded on demand: @kubernetes/client-node takes seconds to load, which local mode need not wait for.
import type { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(file: string | undefined): KubeConfig {
  const { KubeConfig } = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  if (file) kubeConfig.loadFromFile(file);
  else kubeConfig.loadFromCluster();
  return kubeConfig;
}
