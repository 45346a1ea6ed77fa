// Targets (metrics children + log names) cached per (authority, endpoint), so routing a request builds no
// label objects. Authorities are client-controlled, so the cache is bounded: past the bound, new authorities
// share one overflow target per endpoint instead of growing label sets without end. Targets forget: one unused
// for the idle timeout has its metric children removed from the registry (after their last counts were there
// to scrape for that long), so endpoint churn does not grow /metrics.
import { IdleCache, IdlePolicy } from '../../common/idle-cache';
import type { Endpoint } from '../discovery/types';
import type { ProxyRegistry } from '../metrics/registry';
import { HttpTargetMetrics } from '../metrics/http-target';
import type { TargetLabels } from '../metrics/labels';
import type { Target } from './sink';

export const MAX_AUTHORITIES = 1000;
const OVERFLOW_AUTHORITY = '_overflow';

export class TargetCache {
  private readonly byAuthority: IdleCache<string, IdleCache<string, Target>>;

  constructor(
    private readonly registry: ProxyRegistry,
    private readonly labelsFor: (authority: string, endpoint: Endpoint | undefined) => TargetLabels,
    private readonly idle: IdlePolicy,
    /** Told of each target forgotten, for metrics kept elsewhere per target (retries). */
    private readonly onForget?: (target: Target) => void,
  ) {
    // Every use of a target uses its authority too, so an idle authority has only idle targets left.
    this.byAuthority = new IdleCache({ ...idle, onEvict: (targets) => targets.clear() });
  }

  // get() first: a hit, the hot path, makes no closure.
  get(authority: string, endpoint: Endpoint | undefined): Target {
    let byEndpoint = this.byAuthority.get(authority);
    if (!byEndpoint) {
      // Past the bound, new authorities share the overflow entry, which is made even when that goes one over it.
      if (this.byAuthority.size >= MAX_AUTHORITIES) authority = OVERFLOW_AUTHORITY;
      byEndpoint = this.byAuthority.getOrCreate(authority, () => new IdleCache({ ...this.idle, onEvict: (target) => this.forget(target) }));
    }
    const key = endpoint?.key ?? '';
    return (
      byEndpoint.get(key) ??
      byEndpoint.getOrCreate(key, () => ({ authority, endpoint: key, metrics: new HttpTargetMetrics(this.registry, this.labelsFor(authority, endpoint)) }))
    );
  }

  /** Forgets every target now. */
  clear(): void {
    this.byAuthority.clear();
  }

  private forget(target: Target): void {
    target.metrics.remove();
    this.onForget?.(target);
  }
}
