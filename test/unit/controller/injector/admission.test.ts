import t from 'tap';
import { admissionResponse, isPodCreate, readAdmissionReview } from '../../../../controller/injector/admission';

const request = {
  uid: 'u-1',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  namespace: 'demo',
  operation: 'CREATE',
  object: { spec: { containers: [] } },
};
const review = (r: unknown = request) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: r });

t.test('a review as the API server sends it', async (t) => {
  const read = readAdmissionReview(review());
  t.match(read, { kind: 'review', request: { uid: 'u-1', namespace: 'demo', operation: 'CREATE', dryRun: false, object: { spec: { containers: [] } } } });
  if (read.kind === 'review') t.ok(isPodCreate(read.request));
});

t.test('only a pod CREATE is a pod create', async (t) => {
  const check = (changes: object) => {
    const read = readAdmissionReview(review({ ...request, ...changes }));
    return read.kind === 'review' && isPodCreate(read.request);
  };
  t.notOk(check({ operation: 'UPDATE' }));
  t.notOk(check({ subResource: 'ephemeralcontainers' }));
  t.notOk(check({ kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' } }));
});

t.test('what is not a review is named, never thrown', async (t) => {
  const cases: [unknown, RegExp][] = [
    [null, /not a JSON object/],
    [[review()], /not a JSON object/],
    [{ ...review(), apiVersion: 'admission.k8s.io/v1beta1' }, /expected apiVersion admission\.k8s\.io\/v1, kind AdmissionReview, got "admission.k8s.io\/v1beta1"/],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /has no request/],
    [review({ ...request, uid: '' }), /request\.uid is missing/],
    [review({ ...request, operation: 3 }), /request\.operation is missing/],
    [review({ ...request, kind: 'Pod' }), /request\.kind is missing or malformed/],
    [review({ ...request, resource: undefined }), /request\.resource is missing or malformed/],
    [review({ ...request, namespace: ['demo'] }), /request\.namespace must be a string/],
  ];
  for (const [body, message] of cases) t.match(readAdmissionReview(body), { kind: 'invalid', problem: message }, String(message));
});

t.test('the answer: always allowed, the patch as base64 JSON, warnings when there are any', async (t) => {
  const patch = [{ op: 'add' as const, path: '/metadata/labels', value: { a: 'b' } }];
  const answer = admissionResponse('u-1', { patch, warnings: ['careful'] }) as { response: Record<string, unknown> };
  t.match(answer, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-1', allowed: true, patchType: 'JSONPatch', warnings: ['careful'] } });
  t.same(JSON.parse(Buffer.from(answer.response.patch as string, 'base64').toString('utf8')), patch);
  t.same(admissionResponse('u-2', { warnings: [] }), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-2', allowed: true } });
  t.notOk('patch' in (admissionResponse('u-3', { patch: [], warnings: [] }) as { response: object }).response, 'an empty patch is no patch');
});
