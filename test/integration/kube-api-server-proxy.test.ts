// The test API server's service and pod proxy (test/fixtures/kube/service-proxy.ts): what `weft` uses to reach
// Prometheus, tap or a proxy's admin port through the Kubernetes API, tested with plain HTTP and with kubectl.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { startKubeApiServer } from '../fixtures/kube-api-server';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

t.test('services/NAME:PORT/proxy and pods/NAME:PORT/proxy forward to the endpoint, streaming both ways', async (t) => {
  // The backend echoes what it was asked and, on /stream, sends a first chunk and holds the response open.
  const streams: http.ServerResponse[] = [];
  const backend = http.createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
      streams.push(res);
      return;
    }
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, body, host: req.headers.host })));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const port = (backend.address() as AddressInfo).port;
  const kube = await startKubeApiServer({ namespaces: ['default', 'weft'] });
  t.teardown(async () => {
    for (const res of streams) res.end();
    backend.close();
    await kube.close();
  });
  kube.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'prom', namespace: 'weft' }, spec: { ports: [{ name: 'admin', port: 9090 }] } });
  kube.store.create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'prom-1', namespace: 'weft', labels: { 'kubernetes.io/service-name': 'prom' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    ports: [{ name: 'admin', port }],
  });
  kube.store.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'weft' },
    spec: { containers: [{ name: 'weft-proxy', image: 'weft', ports: [{ name: 'weft-admin', containerPort: port }] }] },
    status: { podIP: '127.0.0.1' },
  });

  const base = `${kube.url}/api/v1/namespaces/weft`;
  const viaService = await request(`${base}/services/prom:9090/proxy/api/v1/query?query=up`);
  t.equal(viaService.status, 200);
  t.match(JSON.parse(viaService.body), { method: 'GET', url: '/api/v1/query?query=up' }, 'the rest of the path and the query reach the backend');
  t.equal(JSON.parse((await request(`${base}/services/http:prom:admin/proxy/x`)).body).url, '/x', 'the port by name, with an http: scheme');
  const posted = await request(`${base}/services/prom/proxy/post`, 'POST', 'hello');
  t.match(JSON.parse(posted.body), { method: 'POST', body: 'hello' }, 'a request body is forwarded (the Service\'s only port)');
  t.match(JSON.parse((await request(`${base}/pods/web-0:weft-admin/proxy/metrics`)).body), { url: '/metrics' }, 'a pod by its named container port');
  t.match(JSON.parse((await request(`${base}/pods/web-0:${port}/proxy/`)).body), { url: '/' }, 'a pod by port number');

  // Streaming: the first chunk arrives while the backend still holds the response open.
  const first = await new Promise<string>((resolve, reject) => {
    const req = http.get(`${base}/services/prom/proxy/stream`, { agent: false }, (res) => {
      res.setEncoding('utf8').once('data', (chunk: string) => {
        resolve(chunk);
        req.destroy();
      });
    });
    req.on('error', (err) => (err.message.includes('aborted') || err.message.includes('socket hang up') ? undefined : reject(err)));
  });
  t.equal(first, 'first\n', 'a response streams before it ends');

  const missing = await request(`${base}/services/nothing/proxy/`);
  t.equal(missing.status, 404, 'an unknown Service is 404');
  t.match(JSON.parse(missing.body), { kind: 'Status', message: 'services "nothing" not found' });
  kube.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty', namespace: 'weft' }, spec: { ports: [{ port: 80 }] } });
  const empty = await request(`${base}/services/empty/proxy/`);
  t.equal(empty.status, 503, 'a Service without endpoints is 503');
  t.match(JSON.parse(empty.body).message, 'no endpoints available for service "empty"');
  const wrongPort = await request(`${base}/services/prom:1234/proxy/`);
  t.equal(wrongPort.status, 503);
  t.match(JSON.parse(wrongPort.body).message, 'no port 1234 on service "prom": it has admin');

  // Down backend: the API server answers, naming what it could not reach.
  backend.close();
  for (const res of streams.splice(0)) res.end();
  const down = await request(`${base}/pods/web-0:${port}/proxy/`);
  t.equal(down.status, 503, 'a backend that refuses is 503');
  t.match(JSON.parse(down.body).message, /error trying to reach pod: connect ECONNREFUSED 127\.0\.0\.1/);
});

t.test('kubectl get --raw goes through the service proxy', async (t) => {
  const backend = http.createServer((req, res) => res.end(`served ${req.url}\n`));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const kube = await startKubeApiServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-kube-proxy-'));
  t.teardown(async () => {
    backend.close();
    await kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  kube.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
  kube.store.create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.1'] }],
    ports: [{ port: (backend.address() as AddressInfo).port }],
  });
  const out = await new Promise<string>((resolve, reject) =>
    execFile('kubectl', ['--kubeconfig', kube.kubeconfigFile(dir), 'get', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/hello?x=1'], (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  t.equal(out.trim(), 'served /hello?x=1');
});
