// A map that forgets (DESIGN.md: caches keyed by anything discovery or peers decide). An entry not used for
// `idleMs` is evicted, and so is one its owner removes on purpose (discovery dropped the endpoint). There is no
// timer per entry: one coarse sweep, every idleMs / 2 while the cache holds anything, unref'd so that it never
// keeps a process alive. So an entry leaves between idleMs and 1.5 × idleMs after its last use, and a use costs
// a clock read.
import type { Clock } from './clock';

/** idle: unused for idleMs; removed: delete(); cleared: clear(), e.g. at shutdown. */
export type EvictReason = 'idle' | 'removed' | 'cleared';

/** How long an unused entry is kept, and the clock that says how long it has been. */
export interface IdlePolicy {
  idleMs: number;
  clock: Clock;
}

export interface IdleCacheOptions<K, V> extends IdlePolicy {
  /** Called once for every entry that leaves the cache, however it leaves. Must not throw. */
  onEvict?(value: V, key: K, reason: EvictReason): void;
  /** An entry still in use (a gauge with connections open, say) is kept, and counts as used at each sweep. */
  inUse?(value: V): boolean;
}

interface Entry<V> {
  readonly value: V;
  usedAt: number;
}

export class IdleCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly sweepEveryMs: number;
  private sweepTimer?: NodeJS.Timeout;

  constructor(private readonly options: IdleCacheOptions<K, V>) {
    this.sweepEveryMs = Math.max(1, Math.ceil(options.idleMs / 2));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value for `key`, marked as used now; undefined when there is none. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    entry.usedAt = this.options.clock.now();
    return entry.value;
  }

  /** The value for `key`, made by `create` when there is none; marked as used now either way. */
  getOrCreate(key: K, create: (key: K) => V): V {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      entry.usedAt = this.options.clock.now();
      return entry.value;
    }
    const value = create(key);
    this.entries.set(key, { value, usedAt: this.options.clock.now() });
    this.armSweep();
    return value;
  }

  /** Whether `key` is held, without counting as a use. */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The values held now, without counting as a use. */
  values(): V[] {
    return [...this.entries.values()].map((e) => e.value);
  }

  /** Removes `key` at once (its owner knows it is gone); true when it was held. */
  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.options.onEvict?.(entry.value, key, 'removed');
    this.disarmWhenEmpty();
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    const entries = [...this.entries];
    this.entries.clear();
    this.disarmWhenEmpty();
    for (const [key, entry] of entries) this.options.onEvict?.(entry.value, key, 'cleared');
  }

  private armSweep(): void {
    if (this.sweepTimer !== undefined) return;
    this.sweepTimer = this.options.clock.setTimeout(() => this.sweep(), this.sweepEveryMs);
    (this.sweepTimer as { unref?: () => void }).unref?.();
  }

  private disarmWhenEmpty(): void {
    if (this.entries.size > 0 || this.sweepTimer === undefined) return;
    this.options.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.options.clock.now();
    const evicted: [K, V][] = [];
    for (const [key, entry] of this.entries) {
      if (now - entry.usedAt < this.options.idleMs) continue;
      if (this.options.inUse?.(entry.value)) {
        entry.usedAt = now;
        continue;
      }
      this.entries.delete(key);
      evicted.push([key, entry.value]);
    }
    // The cache is consistent (and the next sweep armed) before any callback runs.
    if (this.entries.size > 0) this.armSweep();
    for (const [key, value] of evicted) this.options.onEvict?.(value, key, 'idle');
  }
}
