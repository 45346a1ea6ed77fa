// Which categories a run checks, in order (CONTRACT.md "Install and check"): --pre before install, the control
// plane by default, and --proxy adds the data plane.
import type { Category } from '../types';
import { controlPlaneVersionCategory } from './control-plane-version';
import { kubernetesApi } from './kubernetes-api';
import { kubernetesVersion } from './kubernetes-version';
import { preKubernetesSetup } from './pre-kubernetes-setup';
import { weftConfig } from './weft-config';
import { weftControlPlaneProxy } from './weft-control-plane-proxy';
import { weftDataPlane } from './weft-data-plane';
import { weftExistence } from './weft-existence';
import { weftHa } from './weft-ha';
import { weftIdentity } from './weft-identity';
import { weftIdentityDataPlane } from './weft-identity-data-plane';
import { weftWebhooks } from './weft-webhooks';

export type CheckStage = 'pre' | 'control-plane' | 'proxy';

const CONTROL_PLANE: readonly Category[] = [
  kubernetesApi,
  kubernetesVersion,
  weftExistence,
  weftConfig,
  weftIdentity,
  weftWebhooks,
  weftControlPlaneProxy,
  controlPlaneVersionCategory,
  weftHa,
];

export function categoriesFor(stage: CheckStage): readonly Category[] {
  switch (stage) {
    case 'pre':
      return [kubernetesApi, kubernetesVersion, preKubernetesSetup];
    case 'control-plane':
      return CONTROL_PLANE;
    case 'proxy':
      return [...CONTROL_PLANE, weftDataPlane, weftIdentityDataPlane];
  }
}
