// The outbound balancer: one ServiceBalancer per discovered service, made on first use. Services are the
// objects discovery keeps and updates in place, so a WeakMap follows their lifetime.
import type { Clock } from '../../common/clock';
import type { Endpoint, Service } from '../discovery/types';
import type { Lease } from './endpoint-load';
import type { Random } from './p2c';
import { Grant, ServiceBalancer } from './service-balancer';

export class Balancer {
  private readonly services = new WeakMap<Service, ServiceBalancer>();

  /** `clock.now()` should be fine-grained (performance.now): latency samples of local backends are sub-ms. */
  constructor(
    private readonly clock: Clock,
    private readonly random: Random = Math.random,
  ) {}

  acquire(service: Service, grant: Grant, avoid?: Lease): () => void {
    return this.for(service).acquire(grant, avoid);
  }

  pickNow(service: Service): Endpoint | undefined {
    return this.for(service).pickNow();
  }

  for(service: Service): ServiceBalancer {
    let balancer = this.services.get(service);
    if (!balancer) this.services.set(service, (balancer = new ServiceBalancer(service, this.clock, this.random)));
    return balancer;
  }
}
