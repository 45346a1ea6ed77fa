import t from 'tap';
import { parseEndpointsFile } from '../../../common/endpoints-file';

const GOOD = `
services:
  - authority: Web.Demo.svc.cluster.local:8080
    endpoints:
      - addr: 127.0.0.1:14143
        identity: web.demo.serviceaccount.identity.weft.cluster.local
        protocol: h2
        labels: { namespace: demo, service: web, pod: web-0 }
    retry: { http: "5xx", limit: 3 }
    timeout: 10s
`;

t.test('parses the contract format', async (t) => {
  const [svc] = parseEndpointsFile(GOOD);
  t.equal(svc.authority, 'web.demo.svc.cluster.local:8080', 'authority is lower-cased');
  t.same(svc.endpoints[0], {
    addr: { host: '127.0.0.1', port: 14143 },
    identity: 'web.demo.serviceaccount.identity.weft.cluster.local',
    protocol: 'h2',
    labels: { namespace: 'demo', service: 'web', pod: 'web-0' },
  });
  t.same(svc.retry, { http: '5xx', limit: 3 });
  t.equal(svc.timeoutMs, 10_000);
});

t.test('JSON with the same shape is accepted', async (t) => {
  const services = parseEndpointsFile(JSON.stringify({ services: [{ authority: 'a:1', endpoints: [{ addr: '[::1]:2' }] }] }));
  t.same(services[0].endpoints[0].addr, { host: '::1', port: 2 });
});

t.test('a file that does not parse is reported with its line and column', async (t) => {
  t.throws(() => parseEndpointsFile('services:\n  - authority: a:1\n   endpoints: [\n', 'e.yaml'), { name: 'EndpointsFileError', message: /^e\.yaml:3:\d+: / });
});

t.test('a wrong shape names the entry', async (t) => {
  const cases: [string, RegExp][] = [
    ['services: 3', /expected a top-level `services:` list/],
    ['services: [{authority: web}]', /services\[0\]\.authority must be host:port/],
    ['services: [{authority: "a:1", endpoints: [{addr: nope}]}]', /services\[0\]\.endpoints\[0\]\.addr must be host:port/],
    ['services: [{authority: "a:1", endpoints: [{addr: "h:1", protocol: h3}]}]', /protocol must be h2/],
    ['services: [{authority: "a:1", timeout: 10}]', /services\[0\]\.timeout must be a duration/],
    ['services: [{authority: "a:1", retry: {limit: -1}}]', /retry\.limit must be a whole number/],
  ];
  for (const [text, message] of cases) t.throws(() => parseEndpointsFile(text), { name: 'EndpointsFileError', message }, text);
});

t.test('an empty file means no services', async (t) => {
  t.same(parseEndpointsFile(''), []);
});

t.test('an slo entry: the same objectives as the slo.weft.io annotations', async (t) => {
  const [svc] = parseEndpointsFile(`services:\n  - authority: books.demo.svc.cluster.local:8080\n    slo: { success-rate: 99.9, latency: "300ms@99", window: 7d }\n`);
  t.same(svc.slo, { successRate: 0.999, latency: { thresholdMs: 300, ratio: 0.99 }, windowSeconds: 604_800 });
  const bad: [string, RegExp][] = [
    ['{ latency: "250ms@99" }', /^e\.yaml: services\[0\]\.slo\.latency="250ms@99" is not valid: 250ms is not a bucket bound of response_latency_ms; the nearest are 200ms and 300ms$/],
    ['{ success-rate: 100 }', /services\[0\]\.slo\.success-rate="100" is not valid/],
    ['{ window: 7d }', /services\[0\]\.slo sets no objective/],
    ['{ succes-rate: 99 }', /services\[0\]\.slo\.succes-rate is not an objective: expected success-rate, latency or window/],
    ['99.9', /services\[0\]\.slo must be a mapping/],
  ];
  for (const [slo, message] of bad) {
    t.throws(() => parseEndpointsFile(`services:\n  - authority: a:1\n    slo: ${slo}\n`, 'e.yaml'), { name: 'EndpointsFileError', message }, slo);
  }
});
