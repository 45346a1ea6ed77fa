// The webhook server in-process with facts the test controls: the deadline it gives itself, faults inside it,
// and what each decision looks like on the wire and in the metrics.
import * as https from 'node:https';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { createTrustAnchor } from '../../../../certs';
import { createLogger } from '../../../../common/log';
import type { InjectorFacts, MeshConfigState } from '../../../../controller/injector/decide';
import { createInjectorMetrics } from '../../../../controller/injector/metrics';
import { startInjectorServer } from '../../../../controller/injector/server';
import { parseMeshConfig } from '../../../../injector/mesh-config';
import { injectorServerName, injectorServingCertificate } from '../../../../injector/serving-certificate';
import { podCreateReview } from '../../../fixtures/admission-review';
import { metricValue } from '../../../fixtures/proxy-process';

const CERT = injectorServingCertificate();
const MESH: MeshConfigState = { kind: 'ready', config: parseMeshConfig({ trustAnchorsPem: createTrustAnchor().certPem }) };

const facts = (overrides: Partial<InjectorFacts> = {}): InjectorFacts => ({
  meshConfig: () => MESH,
  namespace: async (name) => ({ metadata: { name, annotations: { 'weft.io/inject': 'enabled' } } }),
  owner: async () => ({ kind: 'Deployment', name: 'web' }),
  kubernetesVersion: () => ({ major: 1, minor: 28 }),
  ...overrides,
});

async function serve(t: Test, injectorFacts: InjectorFacts) {
  const registry = new Registry();
  const server = await startInjectorServer({
    address: { host: '127.0.0.1', port: 0 },
    keyPair: { cert: CERT.certPem, key: CERT.keyPem },
    facts: injectorFacts,
    metrics: createInjectorMetrics(registry),
    log: createLogger('injector-test', 'silent', 'json'),
  });
  t.teardown(() => server.close());
  const post = (body: object, query = '?timeout=10s') =>
    new Promise<{ status: number; json: any; ms: number }>((resolve, reject) => {
      const started = Date.now();
      const text = JSON.stringify(body);
      const request = https.request({
        host: '127.0.0.1', port: server.port, path: `/inject${query}`, method: 'POST', servername: injectorServerName(), ca: CERT.caPem, agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      });
      request.once('error', reject);
      request.once('response', (res) => {
        let data = '';
        res.setEncoding('utf8').on('data', (d: string) => (data += d));
        res.once('end', () => resolve({ status: res.statusCode!, json: JSON.parse(data), ms: Date.now() - started }));
      });
      request.end(text);
    });
  const responses = async (labels: Record<string, string>) => metricValue(await registry.metrics(), 'proxy_inject_admission_responses_total', labels);
  return { post, responses };
}

const podReview = (annotations?: Record<string, string>) =>
  podCreateReview({
    metadata: { generateName: 'web-7d9f-', annotations, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'x', controller: true }] },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
  });

const decoded = (response: { patch: string }) => JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as { path: string; value: unknown }[];

t.test('an eligible pod gets the patch: owner label, classic sidecar on 1.28', async (t) => {
  const { post, responses } = await serve(t, facts());
  const { status, json } = await post(podReview());
  t.equal(status, 200);
  t.match(json.response, { uid: 'c0ffee00-0000-4000-8000-000000000001', allowed: true, patchType: 'JSONPatch' });
  const patch = decoded(json.response);
  t.ok(patch.some((op) => op.path === '/spec/containers/0' && (op.value as { name: string }).name === 'weft-proxy'), 'the proxy is the first container');
  t.match(patch.find((op) => op.path === '/metadata/labels')?.value, { 'weft.io/proxy-deployment': 'web' });
  t.equal(await responses({ skip: 'false' }), 1);
});

t.test('a pod that is not to be meshed needs no owner lookup', async (t) => {
  let lookups = 0;
  const { post, responses } = await serve(t, facts({ owner: async () => (lookups++, undefined) }));
  const { json } = await post(podReview({ 'weft.io/inject': 'disabled' }));
  t.same(json.response, { uid: 'c0ffee00-0000-4000-8000-000000000001', allowed: true });
  t.equal(lookups, 0);
  t.equal(await responses({ skip: 'true', skip_reason: 'injection_disabled' }), 1);
  const invalid = await post(podReview({ 'weft.io/inject': 'sometimes' }));
  t.match(invalid.json.response.warnings, [/did not mesh this pod: the pod has weft.io\/inject: "sometimes"/], 'an annotation it cannot honour is explained');
});

t.test('a lookup that hangs: allowed without a patch after half the API server\'s timeout, the lookup aborted', async (t) => {
  let signal: AbortSignal | undefined;
  const { post, responses } = await serve(t, facts({ owner: (_refs, _ns, s) => ((signal = s), new Promise(() => {})) }));
  const { json, ms } = await post(podReview(), '?timeout=4s');
  t.match(json.response, { allowed: true, warnings: [/could not mesh this pod, so it starts without a proxy: no answer within 2000 ms/] });
  t.notOk(json.response.patch);
  t.ok(ms >= 1900 && ms < 4000, `answered after ${ms} ms, inside the 4 s the API server waits`);
  t.equal(signal?.aborted, true, 'the pending API call was told to stop');
  t.equal(await responses({ skip_reason: 'internal_error' }), 1);
});

t.test('a fault inside a lookup, or an unusable mesh config: allowed with a warning, counted', async (t) => {
  const faulty = await serve(t, facts({ namespace: async () => { throw new TypeError("Cannot read properties of undefined (reading 'metadata')"); } }));
  const fault = await faulty.post(podReview());
  t.match(fault.json.response, { allowed: true, warnings: [/reading 'metadata'/] });
  t.equal(await faulty.responses({ skip: 'true', skip_reason: 'internal_error' }), 1);

  const unconfigured = await serve(t, facts({ meshConfig: () => ({ kind: 'unusable', problem: 'the mesh config is not usable: trustAnchorsPem: required' }) }));
  const answer = await unconfigured.post(podReview());
  t.match(answer.json.response.warnings, [/trustAnchorsPem: required/]);
});
