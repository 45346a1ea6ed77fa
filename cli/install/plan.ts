// What one rendering of the install is made from: the resolved values, the certificates, and the values as given
// (kept in `weft-config` so `weft upgrade` renders the same install again).
import { CONTROL_PLANE_COMPONENT_LABEL, CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_NS_LABEL } from '../../common/contract';
import type { InstallCertificates } from './certificates';
import type { GivenValues, InstallValues } from './values';

export interface InstallPlan {
  values: InstallValues;
  given: GivenValues;
  certificates: InstallCertificates;
}

/** The parts of the control plane, as their objects' `weft.io/control-plane-component` label names them. */
export type Component = 'identity' | 'destination' | 'injector' | 'tap' | 'config';

export const NAMESPACE = CONTROL_PLANE_NAMESPACE;

export function componentLabels(component: Component): Record<string, string> {
  return { [CONTROL_PLANE_NS_LABEL]: NAMESPACE, [CONTROL_PLANE_COMPONENT_LABEL]: component };
}

/** Metadata of an object install emits; cluster-scoped objects have no namespace. */
export function metadata(name: string, component: Component, scope: 'namespaced' | 'cluster' = 'namespaced') {
  return { name, ...(scope === 'namespaced' ? { namespace: NAMESPACE } : {}), labels: componentLabels(component) };
}
