// The simplest endpoint picker: round robin over a service's current endpoints. [balance] replaces it with
// P2C peak-EWMA behind the same interface.
import type { Endpoint, Service } from '../discovery/types';

export interface EndpointPicker {
  /** An endpoint of the service, or undefined when it has none. */
  pick(service: Service): Endpoint | undefined;
}

export class RoundRobin implements EndpointPicker {
  private readonly next = new WeakMap<Service, number>();

  pick(service: Service): Endpoint | undefined {
    const endpoints = service.endpoints;
    if (endpoints.length === 0) return undefined;
    const i = (this.next.get(service) ?? 0) % endpoints.length;
    this.next.set(service, i + 1);
    return endpoints[i];
  }
}
