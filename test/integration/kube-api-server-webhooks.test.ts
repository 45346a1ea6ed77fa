// The test API server's mutating admission, against a small HTTPS webhook this test controls: which creates are
// sent (rules, namespaceSelector, objectSelector), in which order, and what becomes of each kind of answer.
import * as https from 'node:https';
import t, { type Test } from 'tap';
import { NAMESPACE_NAME_LABEL } from '../../common/contract';
import { injectorServingCertificate } from '../../injector/serving-certificate';
import { startKubeApiServer, type KubeApiServer } from '../fixtures/kube-api-server';

type Answer = (request: any) => Record<string, unknown>;

const CERT = injectorServingCertificate({ controlPlaneNamespace: 'hooks' });
const patch = (ops: object[]) => ({ patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });

interface Harness {
  kube: KubeApiServer;
  /** What the webhook answers next, by the review's request; the review is allowed by default. */
  answer: { current: Answer };
  reviews: any[];
  create(path: string, body: object): Promise<{ status: number; body: any; warnings: string | null }>;
  configure(name: string, webhook: Record<string, unknown>): void;
}

async function harness(t: Test): Promise<Harness> {
  const kube = await startKubeApiServer({ namespaces: ['default', 'kube-system', 'hooks'] });
  t.teardown(() => kube.close());
  const answer = { current: (() => ({})) as Answer };
  const reviews: any[] = [];
  const webhook = https.createServer({ cert: CERT.certPem, key: CERT.keyPem }, (req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      const review = JSON.parse(text);
      reviews.push(review);
      const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, ...answer.current(review.request) } });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    webhook.closeAllConnections();
    webhook.close();
  });
  kube.store.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'weft-proxy-injector', namespace: 'hooks' }, spec: { ports: [{ name: 'https', port: 443 }] } });
  kube.store.apply({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'hook-1', namespace: 'hooks', labels: { 'kubernetes.io/service-name': 'weft-proxy-injector' } },
    addressType: 'IPv4',
    ports: [{ name: 'https', port: (webhook.address() as { port: number }).port }],
    endpoints: [{ addresses: ['127.0.0.1'] }],
  });
  const create = async (path: string, body: object) => {
    const res = await fetch(`${kube.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json(), warnings: res.headers.get('warning') };
  };
  const configure = (name: string, hook: Record<string, unknown>) =>
    kube.store.apply({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name },
      webhooks: [{
        name: `${name}.example.com`,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        clientConfig: { service: { name: 'weft-proxy-injector', namespace: 'hooks', path: '/mutate' }, caBundle: Buffer.from(CERT.caPem).toString('base64') },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        ...hook,
      }],
    });
  return { kube, answer, reviews, create, configure };
}

const pod = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });

t.test('every namespace carries kubernetes.io/metadata.name, and no write removes it', async (t) => {
  const h = await harness(t);
  t.equal(h.kube.store.get('Namespace', 'kube-system').metadata.labels?.[NAMESPACE_NAME_LABEL], 'kube-system');
  const created = await h.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { team: 'a' } } });
  t.same(created.body.metadata.labels, { team: 'a', [NAMESPACE_NAME_LABEL]: 'demo' });
  h.kube.store.update({ ...h.kube.store.get('Namespace', 'demo'), metadata: { name: 'demo', labels: { [NAMESPACE_NAME_LABEL]: 'other' } } });
  t.same(h.kube.store.get('Namespace', 'demo').metadata.labels, { [NAMESPACE_NAME_LABEL]: 'demo' });
});

t.test('rules, namespaceSelector and objectSelector decide what is sent; the patch is applied', async (t) => {
  const h = await harness(t);
  h.kube.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { mesh: 'on' } } });
  h.configure('labeller', {
    namespaceSelector: { matchLabels: { mesh: 'on' } },
    objectSelector: { matchExpressions: [{ key: 'skip', operator: 'DoesNotExist' }] },
  });
  h.answer.current = () => patch([{ op: 'add', path: '/metadata/labels/patched', value: 'yes' }]);
  const sent = await h.create('/api/v1/namespaces/demo/pods', pod('a'));
  t.equal(sent.status, 201);
  t.equal(sent.body.metadata.labels.patched, 'yes', 'what the API answers is the patched pod');
  t.equal(h.kube.store.get('Pod', 'a', 'demo').metadata.labels?.patched, 'yes', 'and so is what it stored');
  t.match(h.reviews[0], {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { resource: 'pods' }, namespace: 'demo', name: 'a', operation: 'CREATE', object: { metadata: { name: 'a', namespace: 'demo' } } },
  });

  t.equal((await h.create('/api/v1/namespaces/demo/pods', pod('b', { skip: 'true' }))).body.metadata.labels?.patched, undefined, 'objectSelector');
  t.equal((await h.create('/api/v1/namespaces/default/pods', pod('c'))).body.metadata.labels?.patched, undefined, 'namespaceSelector');
  await h.create('/api/v1/namespaces/demo/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
  h.kube.store.create({ ...pod('direct'), metadata: { name: 'direct', namespace: 'demo' } });
  t.equal(h.reviews.length, 1, 'not a Service (rules), and not what a test writes to the store directly');
});

t.test('configurations by name, each patch on the result of the one before; warnings reach the client', async (t) => {
  const h = await harness(t);
  h.configure('b-second', {});
  h.configure('a-first', {});
  h.answer.current = (request) => ({
    ...patch([{ op: 'add', path: `/metadata/labels/n${Object.keys(request.object.metadata.labels ?? {}).length}`, value: 'x' }]),
    warnings: ['seen by "hook"'],
  });
  const created = await h.create('/api/v1/namespaces/default/pods', pod('chained'));
  t.same(created.body.metadata.labels, { n0: 'x', n1: 'x' }, 'the second webhook saw the first one\'s label');
  t.same(h.kube.webhookCalls.map((c) => c.webhook), ['a-first.example.com', 'b-second.example.com']);
  t.equal(created.warnings, '299 - "seen by \\"hook\\"", 299 - "seen by \\"hook\\""');
});

t.test('denials, bad answers and bad patches, under each failure policy', async (t) => {
  const h = await harness(t);
  h.configure('hook', { failurePolicy: 'Fail' });
  h.answer.current = () => ({ allowed: false, status: { message: 'no pods today', code: 403 } });
  const denied = await h.create('/api/v1/namespaces/default/pods', pod('denied'));
  t.match(denied, { status: 403, body: { message: 'admission webhook "hook.example.com" denied the request: no pods today' } });

  h.answer.current = () => ({ uid: 'someone-else' });
  const wrongUid = await h.create('/api/v1/namespaces/default/pods', pod('wrong-uid'));
  t.match(wrongUid, { status: 500, body: { reason: 'InternalError', message: /failed calling webhook "hook.example.com": received invalid webhook response: expected response.uid=/ } });
  h.configure('hook', { failurePolicy: 'Ignore' });
  t.equal((await h.create('/api/v1/namespaces/default/pods', pod('wrong-uid'))).status, 201, 'Ignore: created as sent');
  t.match(h.kube.webhookCalls.at(-1), { outcome: 'failed-open' });

  h.answer.current = () => patch([{ op: 'replace', path: '/spec/nothing/here', value: 1 }]);
  const badPatch = await h.create('/api/v1/namespaces/default/pods', pod('bad-patch'));
  t.match(badPatch, { status: 500, body: { message: /returned a patch that cannot be applied: json patch: the path/ } }, 'a patch that does not apply is refused even under Ignore');

  h.answer.current = () => patch([{ op: 'add', path: '/spec/containers/-', value: { image: 'no-name' } }]);
  const invalid = await h.create('/api/v1/namespaces/default/pods', pod('invalid'));
  t.match(invalid, { status: 422, body: { reason: 'Invalid', message: /spec\.containers\[1\]\.name: Required value/ } }, 'the patched pod is validated with kubernetes-models');
  t.throws(() => h.kube.store.get('Pod', 'invalid', 'default'));
});
