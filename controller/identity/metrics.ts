// The identity service's metrics: certificates issued, requests refused by reason, and when the issuer
// expires — the number to alert on, since every proxy's next certificate depends on it.
import { Counter, Gauge, Registry } from 'prom-client';

export interface IdentityServiceMetrics {
  issued: Counter;
  refused: Counter<'reason'>;
  issuerExpiration: Gauge;
}

export function createIdentityServiceMetrics(registry: Registry): IdentityServiceMetrics {
  const registers = [registry];
  return {
    issued: new Counter({ name: 'identity_certificates_issued_total', help: 'Leaf certificates issued', registers }),
    refused: new Counter({
      name: 'identity_certify_refused_total',
      help: 'Certify requests refused, by reason (the gRPC status, e.g. unauthenticated, permission_denied)',
      labelNames: ['reason'],
      registers,
    }),
    issuerExpiration: new Gauge({
      name: 'identity_issuer_expiration_timestamp_seconds',
      help: 'When the issuer certificate in force expires, in seconds since the epoch',
      registers,
    }),
  };
}
