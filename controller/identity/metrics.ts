// The identity service's metrics: certificates issued, requests refused by reason, and when the issuer
// expires — the number to alert on, since every proxy's next certificate depends on it.
import { Counter, Gauge, Registry } from 'prom-client';
import { IDENTITY_SERVICE_METRIC } from '../../common/contract';

export interface IdentityServiceMetrics {
  issued: Counter;
  refused: Counter<'reason'>;
  issuerExpiration: Gauge;
}

export function createIdentityServiceMetrics(registry: Registry): IdentityServiceMetrics {
  const registers = [registry];
  return {
    issued: new Counter({ name: IDENTITY_SERVICE_METRIC.issuedTotal, help: 'Leaf certificates issued', registers }),
    refused: new Counter({
      name: IDENTITY_SERVICE_METRIC.refusedTotal,
      help: 'Certify requests refused, by reason (the gRPC status, e.g. unauthenticated, permission_denied)',
      labelNames: ['reason'],
      registers,
    }),
    issuerExpiration: new Gauge({
      name: IDENTITY_SERVICE_METRIC.issuerExpiration,
      help: 'When the issuer certificate in force expires, in seconds since the epoch',
      registers,
    }),
  };
}
