// The proxy's certificate metrics (CONTRACT.md "Metrics"): when the certificate in force expires, and how
// its renewals went. An alert on the first is how an expiring certificate gets noticed in time.
import { Counter, Gauge, Registry } from 'prom-client';
import { METRIC } from '../../common/contract';

export interface IdentityMetrics {
  expiration: Gauge;
  refreshes: Counter<'result'>;
}

export function createIdentityMetrics(registry: Registry): IdentityMetrics {
  const registers = [registry];
  return {
    expiration: new Gauge({
      name: METRIC.identityCertExpiration,
      help: 'When the proxy\'s identity certificate expires, in seconds since the epoch (0 until it has one)',
      registers,
    }),
    refreshes: new Counter({
      name: METRIC.identityCertRefreshTotal,
      help: 'Identity certificate requests, by result (success|failure)',
      labelNames: ['result'],
      registers,
    }),
  };
}
