// The injector's metrics, named as Linkerd2's: every review counted once when it is answered, by whether the pod
// was left alone (`skip`), and on responses also why (`skip_reason`: inject()'s reasons, plus internal_error,
// not_a_pod_create and invalid_review). internal_error is the one to alert on: pods started unmeshed.
import { Counter, Registry } from 'prom-client';
import { INJECTOR_METRIC } from '../../common/contract';

export interface InjectorMetrics {
  answered(skipReason: string | undefined): void;
}

export function createInjectorMetrics(registry: Registry): InjectorMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: INJECTOR_METRIC.admissionRequestsTotal,
    help: 'Admission reviews received on /inject, by whether the pod was left alone',
    labelNames: ['skip'],
    registers,
  });
  const responses = new Counter({
    name: INJECTOR_METRIC.admissionResponsesTotal,
    help: 'Admission reviews answered, by whether the pod was left alone and why',
    labelNames: ['skip', 'skip_reason'],
    registers,
  });
  return {
    answered(skipReason) {
      const skip = skipReason === undefined ? 'false' : 'true';
      requests.inc({ skip });
      responses.inc({ skip, skip_reason: skipReason ?? '' });
    },
  };
}
