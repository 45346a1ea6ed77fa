// weft-controller in local mode (--cluster-file, what `weft demo` uses) serving a real proxy: the file's
// services are discovered, edits reach the proxy, a broken edit leaves the last good version in force.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { formatHostPort } from '../../common/address';
import { nodeArgsFor } from '../../common/entrypoint';
import { DESTINATION_METRIC, ENV, PROXY_ERROR } from '../../common/contract';
import { startController } from '../fixtures/controller-process';
import { untrackedNode } from '../fixtures/demo';
import { startEchoServer } from '../fixtures/http-backends';
import { send, waitFor } from '../fixtures/http-client';
import { metricValue, startProxy, writeEndpointsFile } from '../fixtures/proxy-process';

t.test('a proxy discovers through the controller local source and follows edits of the file', async (t) => {
  const [a, b] = [await startEchoServer(t), await startEchoServer(t)];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-destination-local-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'cluster.yaml');
  const web = (addr: string, pod: string) => ({ authority: 'web.demo.svc.cluster.local:8080', endpoints: [{ addr, labels: { namespace: 'demo', service: 'web', pod } }], timeout: '5s' });
  writeEndpointsFile(file, [web(formatHostPort(a.addr), 'web-a')]);

  const controller = await startController(t, ['--cluster-file', file, '--destination-plaintext'], 'all');
  const proxy = await startProxy(t, { env: { [ENV.destinationSvcAddr]: formatHostPort(controller.destination!), [ENV.destinationContext]: '{"ns":"demo"}' } });

  const first = await send(proxy.outbound, { authority: 'web:8080', path: '/one' });
  t.equal(first.status, 200, 'a short name in the proxy namespace finds the file entry');
  t.equal(a.seen.length, 1);
  t.match(await proxy.metrics(), /response_total\{[^}]*dst_pod="web-a"/, 'metadata from the file labels the metrics');

  writeEndpointsFile(file, [web(formatHostPort(b.addr), 'web-b')]);
  await waitFor('b to serve after the edit', async () => (await send(proxy.outbound, { authority: 'web:8080' })).status === 200 && b.seen.length > 0, 10_000);
  const seenByA = a.seen.length;
  for (let i = 0; i < 5; i++) t.equal((await send(proxy.outbound, { authority: 'web:8080' })).status, 200);
  t.equal(a.seen.length, seenByA, 'the removed endpoint gets nothing more');

  fs.writeFileSync(file, 'services: [ {authority: ');
  await waitFor('the rejection', () => controller.logs().includes('cluster file rejected'), 10_000);
  t.equal((await send(proxy.outbound, { authority: 'web:8080' })).status, 200, 'the last good version stays in force');
  t.equal(metricValue(await proxy.metrics(), DESTINATION_METRIC.clientStreams, { state: 'live' }), 1);

  const unknown = await send(proxy.outbound, { authority: 'other.demo.svc.cluster.local:8080' });
  t.equal(unknown.status, 503);
  t.equal(unknown.headers[PROXY_ERROR], 'unknown-authority');
  t.match(unknown.body.toString(), /other\.demo\.svc\.cluster\.local:8080/);

  t.equal(await controller.stop(), 0, 'SIGTERM: a clean exit');
});

t.test('exit codes: 1 with one line for a cluster file that cannot be used, 2 for a usage error', async (t) => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const [command, argv] = untrackedNode([...nodeArgsFor('controller/main'), ...args]);
      execFile(command, argv, { timeout: 30_000 }, (err, _stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stderr }));
    });
  const missing = await run(['destination', '--destination-plaintext', '--cluster-file', '/nonexistent/weft.yaml', '--admin-addr', '127.0.0.1:0', '--destination-addr', '127.0.0.1:0']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^weft-controller: error: .*\/nonexistent\/weft\.yaml.*\n$/, 'one line naming the file');
  const usage = await run(['destination', '--destination-plaintext', '--cluster-file', '/nonexistent/weft.yaml', '--destination-addr', 'nowhere']);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /^weft-controller: error: --destination-addr "nowhere" is not valid/);
});
