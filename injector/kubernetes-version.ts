// The cluster's Kubernetes version, as the API server's `/version` reports it, decides whether the proxy runs as
// a native sidecar (an init container with `restartPolicy: Always`, on by default from 1.29).
import { NATIVE_SIDECAR_MIN_VERSION } from '../common/contract';

export interface KubernetesVersion {
  major: number;
  minor: number;
}

/** `/version`'s `{major: "1", minor: "29+"}` (providers append `+`), or its `gitVersion` `v1.29.3-gke.1`. */
export function parseKubernetesVersion(info: { major?: string; minor?: string; gitVersion?: string }): KubernetesVersion | undefined {
  const major = Number.parseInt(info.major ?? '', 10);
  const minor = Number.parseInt(info.minor ?? '', 10);
  if (Number.isFinite(major) && Number.isFinite(minor)) return { major, minor };
  const m = /^v?(\d+)\.(\d+)/.exec(info.gitVersion ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function supportsNativeSidecars(version: KubernetesVersion | undefined): boolean {
  if (!version) return false;
  const min = NATIVE_SIDECAR_MIN_VERSION;
  return version.major > min.major || (version.major === min.major && version.minor >= min.minor);
}
