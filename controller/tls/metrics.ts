// The metrics of the control plane's own TLS, one set per process however many roles it runs: when each
// service's serving certificate expires (alert on it as on the issuer's), how its renewals went, and how
// many plaintext connections were turned away.
import { Counter, Gauge, Registry } from 'prom-client';
import { CONTROL_PLANE_TLS_METRIC, ControlPlaneService } from '../../common/contract';
import type { CertificateMetrics } from '../../proxy/identity/local-identity';

export interface ControlPlaneTlsMetrics {
  /** What a service's serving identity records, labelled with the service. */
  certificate(service: ControlPlaneService): CertificateMetrics;
  plaintextRefused: Counter<'service'>;
}

const created = new WeakMap<Registry, ControlPlaneTlsMetrics>();

export function controlPlaneTlsMetrics(registry: Registry): ControlPlaneTlsMetrics {
  const existing = created.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const expiration = new Gauge({
    name: CONTROL_PLANE_TLS_METRIC.servingCertExpiration,
    help: 'When the serving certificate of a control-plane service expires, in seconds since the epoch',
    labelNames: ['service'],
    registers,
  });
  const refreshes = new Counter({
    name: CONTROL_PLANE_TLS_METRIC.servingCertRefreshTotal,
    help: 'Serving certificate requests of a control-plane service, by result (success|failure)',
    labelNames: ['service', 'result'],
    registers,
  });
  const metrics: ControlPlaneTlsMetrics = {
    certificate: (service) => ({
      expiration: expiration.labels({ service }),
      refreshes: { inc: ({ result }) => refreshes.inc({ service, result }) },
    }),
    plaintextRefused: new Counter({
      name: CONTROL_PLANE_TLS_METRIC.plaintextRefusedTotal,
      help: 'Connections to a control-plane service closed because they did not start a TLS handshake',
      labelNames: ['service'],
      registers,
    }),
  };
  created.set(registry, metrics);
  return metrics;
}
