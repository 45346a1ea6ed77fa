// One kind of object followed through a @kubernetes/client-node informer: list, then watch from the list's
// resourceVersion. client-node relists by itself after a 410 Gone, but it stops on any other error (the API
// server restarting, a refused connection): this restarts it with backoff, and keeps its handlers from
// failing silently (client-node swallows what a watch callback throws).
import { KubeConfig, KubernetesListObject, KubernetesObject, makeInformer } from '@kubernetes/client-node';
import { Clock, systemClock } from '../../common/clock';
import type { Logger } from '../../common/log';

export interface WatchedKindOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** What it is, for logs and /ready: "pods". */
  what: string;
  /** The watch path, e.g. /api/v1/pods. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  upsert(object: T): void;
  remove(object: T): void;
  log: Logger;
  clock?: Clock;
  backoff?: { initialMs: number; maxMs: number };
}

const DEFAULT_BACKOFF = { initialMs: 200, maxMs: 10_000 };

export class WatchedKind<T extends KubernetesObject> {
  private readonly informer;
  private readonly clock: Clock;
  private readonly backoff: { initialMs: number; maxMs: number };
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  private synced = false;
  private onSynced?: () => void;
  /** The last error while not connected, for /ready; cleared when a list succeeds. */
  lastError?: string;

  constructor(readonly options: WatchedKindOptions<T>) {
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.informer = makeInformer<T>(options.kubeConfig, options.path, () => this.list());
    this.informer.on('add', (o) => this.guard('upsert', o, options.upsert));
    this.informer.on('update', (o) => this.guard('upsert', o, options.upsert));
    this.informer.on('delete', (o) => this.guard('remove', o, options.remove));
    this.informer.on('error', (err: unknown) => this.retryAfter(err));
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has been delivered; keeps retrying until then. */
  start(): Promise<void> {
    const first = new Promise<void>((resolve) => (this.onSynced = resolve));
    void this.informer.start();
    return first;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.retryTimer!);
    await this.informer.stop();
  }

  private async list(): Promise<KubernetesListObject<T>> {
    const result = await this.options.list();
    this.failures = 0;
    this.lastError = undefined;
    if (!this.synced) {
      // client-node hands the listed items to the handlers right after this promise settles, within the
      // same turn; setImmediate runs once they all have.
      setImmediate(() => {
        this.synced = true;
        this.onSynced?.();
      });
    }
    return result;
  }

  private retryAfter(err: unknown): void {
    if (this.stopped) return;
    this.lastError = describe(err);
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.failures++);
    this.options.log.warn({ kind: this.options.what, error: this.lastError, retryInMs: delay }, 'Kubernetes watch failed; keeping what is known and retrying');
    this.clock.clearTimeout(this.retryTimer!);
    this.retryTimer = this.clock.setTimeout(() => {
      if (!this.stopped) void this.informer.start();
    }, delay);
  }

  private guard(action: string, object: T, handle: (o: T) => void): void {
    this.failures = 0; // the watch delivers again: the next outage starts its backoff afresh
    try {
      handle(object);
    } catch (err) {
      const { namespace, name } = object.metadata ?? {};
      this.options.log.warn(
        { kind: this.options.what, object: namespace ? `${namespace}/${name}` : name, error: (err as Error).message },
        `ignoring an invalid object (${action}); what was known before stays in force until it is fixed`,
      );
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown; statusCode?: unknown }).statusCode ?? (err as { code?: unknown }).code;
    return code === undefined ? err.message : `${err.message} (${String(code)})`;
  }
  return String(err);
}
