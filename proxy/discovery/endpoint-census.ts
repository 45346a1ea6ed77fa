// Which endpoints discovery knows now, over every service it holds. An endpoint that leaves the last service
// holding it is reported once, so that whoever keeps a connection pool or session for it can close it at once
// rather than wait for the idle timeout. Sources call replace() for each service whose endpoint set changed,
// then flush() once the whole change is in: an endpoint that moved from one service to another in the same
// change is not reported.
import type { Endpoint, EndpointRemoved } from './types';

export class EndpointCensus {
  /** By endpoint key: in how many services' sets it is now. */
  private readonly holders = new Map<string, number>();
  /** Endpoints whose count reached zero since the last flush. */
  private readonly leaving = new Map<string, Endpoint>();
  private readonly listeners: EndpointRemoved[] = [];

  onRemoved(listener: EndpointRemoved): void {
    this.listeners.push(listener);
  }

  /** A service's endpoints went from `before` to `after` (a new service: before is empty; a gone one: after is). */
  replace(before: readonly Endpoint[], after: readonly Endpoint[]): void {
    if (before === after) return;
    for (const endpoint of after) this.holders.set(endpoint.key, (this.holders.get(endpoint.key) ?? 0) + 1);
    for (const endpoint of before) {
      const left = (this.holders.get(endpoint.key) ?? 1) - 1;
      if (left > 0) {
        this.holders.set(endpoint.key, left);
      } else {
        this.holders.delete(endpoint.key);
        this.leaving.set(endpoint.key, endpoint);
      }
    }
  }

  /** Reports the endpoints that left since the last flush and did not come back. */
  flush(): void {
    const gone = [...this.leaving.values()].filter((endpoint) => !this.holders.has(endpoint.key));
    this.leaving.clear();
    for (const endpoint of gone) for (const listener of this.listeners) listener(endpoint);
  }

  /** How many distinct endpoints discovery knows now. */
  get size(): number {
    return this.holders.size;
  }
}
