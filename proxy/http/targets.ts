// Targets (metrics children + log names) cached per (authority, endpoint), so routing a request builds no
// label objects. Authorities are client-controlled, so the cache is bounded: past the bound, new authorities
// share one overflow target per endpoint instead of growing label sets without end.
import type { Endpoint } from '../discovery/types';
import type { ProxyRegistry } from '../metrics/registry';
import { HttpTargetMetrics } from '../metrics/http-target';
import type { TargetLabels } from '../metrics/labels';
import type { Target } from './sink';

export const MAX_AUTHORITIES = 1000;
const OVERFLOW_AUTHORITY = '_overflow';

export class TargetCache {
  private readonly byAuthority = new Map<string, Map<string, Target>>();

  constructor(
    private readonly registry: ProxyRegistry,
    private readonly labelsFor: (authority: string, endpoint: Endpoint | undefined) => TargetLabels,
  ) {}

  get(authority: string, endpoint: Endpoint | undefined): Target {
    let byEndpoint = this.byAuthority.get(authority);
    if (!byEndpoint) {
      if (this.byAuthority.size >= MAX_AUTHORITIES) return this.get(OVERFLOW_AUTHORITY, endpoint);
      this.byAuthority.set(authority, (byEndpoint = new Map()));
    }
    const key = endpoint?.key ?? '';
    let target = byEndpoint.get(key);
    if (!target) {
      target = { authority, endpoint: key, metrics: new HttpTargetMetrics(this.registry, this.labelsFor(authority, endpoint)) };
      byEndpoint.set(key, target);
    }
    return target;
  }
}
