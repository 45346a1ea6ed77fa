// The MutatingWebhookConfiguration that sends pod creations to the injector (CONTRACT.md "Kubernetes"): never
// kube-system or the control plane's own namespace (matched by the `kubernetes.io/metadata.name` label the API
// server sets on every namespace), `failurePolicy: Ignore` unless the operator says otherwise (a pod must start
// even while the injector is down), no side effects, 10 s at most.
import {
  IMutatingWebhookConfiguration,
  MutatingWebhookConfiguration,
} from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import {
  CONTROL_PLANE_NAMESPACE,
  CONTROL_PLANE_NS_LABEL,
  INJECTOR_PATH,
  INJECTOR_SERVICE,
  INJECTOR_SERVICE_PORT,
  INJECTOR_WEBHOOK_CONFIGURATION,
  INJECTOR_WEBHOOK_NAME,
  KUBE_SYSTEM_NAMESPACE,
  NAMESPACE_NAME_LABEL,
  WEBHOOK_TIMEOUT_SECONDS,
} from '../common/contract';

export type FailurePolicy = 'Ignore' | 'Fail';

export interface WebhookConfigurationOptions {
  /** The PEM of the CA that signed the injector's serving certificate. */
  caBundlePem: string;
  controlPlaneNamespace?: string;
  failurePolicy?: FailurePolicy;
  /** 1 to 30, as the API server allows; default 10. */
  timeoutSeconds?: number;
}

export function injectorWebhookConfiguration(options: WebhookConfigurationOptions): IMutatingWebhookConfiguration {
  const ns = options.controlPlaneNamespace ?? CONTROL_PLANE_NAMESPACE;
  const timeoutSeconds = options.timeoutSeconds ?? WEBHOOK_TIMEOUT_SECONDS;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) {
    throw new RangeError(`timeoutSeconds must be a whole number from 1 to 30, got ${timeoutSeconds}`);
  }
  if (!options.caBundlePem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new TypeError('caBundlePem must be the PEM of the CA that signed the injector certificate');
  }
  const configuration: IMutatingWebhookConfiguration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: INJECTOR_WEBHOOK_CONFIGURATION, labels: { [CONTROL_PLANE_NS_LABEL]: ns } },
    webhooks: [
      {
        name: INJECTOR_WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        clientConfig: {
          service: { name: INJECTOR_SERVICE, namespace: ns, port: INJECTOR_SERVICE_PORT, path: INJECTOR_PATH },
          caBundle: Buffer.from(options.caBundlePem).toString('base64'),
        },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
        namespaceSelector: {
          matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: [KUBE_SYSTEM_NAMESPACE, ns] }],
        },
        failurePolicy: options.failurePolicy ?? 'Ignore',
        sideEffects: 'None',
        timeoutSeconds,
        matchPolicy: 'Equivalent',
        reinvocationPolicy: 'Never',
      },
    ],
  };
  new MutatingWebhookConfiguration(configuration).validate();
  return configuration;
}
