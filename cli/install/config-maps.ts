// The ConfigMaps: `weft-config` (the mesh config the injector reads, parsed here with the injector's own schema so
// install cannot write one it would refuse, and the install values for `weft upgrade`) and the trust roots.
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import YAML from 'yaml';
import { INSTALL_VALUES_KEY, MESH_CONFIG_KEY, MESH_CONFIG_MAP, TRUST_ROOTS_CONFIG_MAP, TRUST_ROOTS_KEY } from '../../common/contract';
import { UsageError } from '../../common/errors';
import { MeshConfigError, parseMeshConfig } from '../../injector/mesh-config';
import { InstallPlan, metadata, NAMESPACE } from './plan';
import { VALUE_KEYS } from './values';

/** The mesh config's raw form: what config.yaml holds. */
function meshConfigRaw(plan: InstallPlan) {
  const v = plan.values;
  return {
    trustDomain: v.trustDomain,
    clusterDomain: v.clusterDomain,
    controlPlaneNamespace: NAMESPACE,
    proxy: { image: v['proxy.image'], version: v['proxy.version'], logLevel: v['proxy.logLevel'], logFormat: v['proxy.logFormat'] },
    clusterNetworks: v.clusterNetworks,
    trustAnchorsPem: plan.certificates.trustAnchorsPem,
  };
}

export function meshConfigMap(plan: InstallPlan): IConfigMap {
  const raw = meshConfigRaw(plan);
  try {
    parseMeshConfig(raw, 'the install values');
  } catch (err) {
    // The mesh config's field names are the values' keys, so the problems read as --set problems.
    if (err instanceof MeshConfigError) throw new UsageError(`--set ${err.problems.join('; ')}`);
    throw err;
  }
  const given = Object.fromEntries(VALUE_KEYS.filter((k) => plan.given[k] !== undefined).map((k) => [k, plan.given[k]]));
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(MESH_CONFIG_MAP, 'config'),
    data: { [MESH_CONFIG_KEY]: YAML.stringify(raw, { lineWidth: 0 }), [INSTALL_VALUES_KEY]: YAML.stringify(given) },
  };
}

export function trustRootsConfigMap(plan: InstallPlan): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(TRUST_ROOTS_CONFIG_MAP, 'identity'),
    data: { [TRUST_ROOTS_KEY]: plan.certificates.trustAnchorsPem },
  };
}
