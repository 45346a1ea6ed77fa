// The proxy's destination client against a real destination gRPC server (in process, on loopback) fed by a
// source the test controls: first answers, in-place updates, the server going away and coming back, idle
// eviction, and refused authorities.
import t, { type Test } from 'tap';
import { Registry } from 'prom-client';
import { DESTINATION_METRIC } from '../../../../common/contract';
import { createLogger } from '../../../../common/log';
import type { ChangeListener, ClusterSource, Resolution, Target } from '../../../../controller/cluster/types';
import { changeKey, targetId } from '../../../../controller/cluster/types';
import { parseHostPort } from '../../../../common/address';
import { startDestinationServer, type DestinationServer } from '../../../../controller/destination/server';
import { controlPlaneTlsMetrics } from '../../../../controller/tls/metrics';
import { GrpcDiscovery } from '../../../../proxy/discovery/grpc-client';
import { waitFor } from '../../../fixtures/http-client';
import { metricValue } from '../../../fixtures/proxy-process';

const log = createLogger('test', 'silent', 'json');

/** Answers from a map the test edits: targetId → resolution. */
class TestSource implements ClusterSource {
  readonly answers = new Map<string, Resolution>();
  private readonly listeners: ChangeListener[] = [];
  async start() {}
  async stop() {}
  notReadyReason() {
    return undefined;
  }
  resolve(target: Target): Resolution {
    return this.answers.get(targetId(target)) ?? { kind: 'unknown' };
  }
  onChange(listener: ChangeListener) {
    this.listeners.push(listener);
  }
  objectives() {
    return [];
  }
  set(authority: string, target: Target, resolution: Resolution) {
    this.answers.set(authority, resolution);
    for (const listener of this.listeners) listener(new Set([changeKey(target)]));
  }
}

const WEB: Target = { kind: 'service', namespace: 'demo', name: 'web', port: 80 };
const webAt = (...ips: string[]): Resolution => ({
  kind: 'endpoints',
  endpoints: ips.map((ip) => ({ addr: { host: ip, port: 8080 }, labels: { namespace: 'demo', service: 'web', pod: `pod-${ip}` }, protocolHint: 'h2', opaquePorts: [] })),
  policy: { retry: { http: '5xx', limit: 2 }, timeoutMs: 1500 },
});

async function server(t: Test, source: ClusterSource, address = '127.0.0.1:0'): Promise<DestinationServer & { registry: Registry }> {
  const registry = new Registry();
  // Plaintext: this is about what discovery does with the answers; TLS is control-plane-tls.test.ts's.
  const started = await startDestinationServer({ addr: parseHostPort(address)!, transport: { kind: 'plaintext' }, tlsMetrics: controlPlaneTlsMetrics(registry), source, log, registry });
  t.teardown(() => started.close());
  return { ...started, registry };
}

function client(t: Test, port: number, options: Partial<ConstructorParameters<typeof GrpcDiscovery>[0]> = {}) {
  const registry = new Registry();
  const discovery = new GrpcDiscovery({
    addr: { host: '127.0.0.1', port },
    contextToken: JSON.stringify({ ns: 'demo' }),
    tls: { kind: 'plaintext', why: 'a test of discovery itself' },
    log,
    registry,
    backoff: { initialMs: 20, maxMs: 200 },
    ...options,
  });
  t.teardown(() => discovery.close());
  return { discovery, metrics: () => registry.metrics() };
}

t.test('the first request waits for the first answer; later answers update the same Service', async (t) => {
  const source = new TestSource();
  source.answers.set(targetId(WEB), webAt('10.0.0.1', '10.0.0.2'));
  const { port } = await server(t, source);
  const { discovery } = client(t, port);

  t.equal(discovery.resolve('web:80'), undefined, 'not known before the first answer');
  const first = discovery.firstAnswer('web:80');
  t.ok(first, 'there is an answer to wait for');
  await first;
  const service = discovery.resolve('web:80')!;
  t.match(service.endpoints, [
    { key: '10.0.0.1:8080', protocolHint: 'h2', labels: { pod: 'pod-10.0.0.1' } },
    { key: '10.0.0.2:8080' },
  ]);
  t.equal(discovery.firstAnswer('web:80'), undefined, 'nothing to wait for once known');
  await waitFor('the profile', () => service.policy.timeoutMs === 1500);
  t.same(service.policy, { retry: { http: '5xx', grpc: undefined, limit: 2, timeoutMs: undefined }, timeoutMs: 1500 });

  source.set(targetId(WEB), WEB, webAt('10.0.0.2', '10.0.0.3'));
  await waitFor('the change', () => service.endpoints.some((e) => e.key === '10.0.0.3:8080'));
  t.same(service.endpoints.map((e) => e.key).sort(), ['10.0.0.2:8080', '10.0.0.3:8080'], 'the same Service object, updated in place');
  source.set(targetId(WEB), WEB, { kind: 'endpoints', endpoints: [], policy: {} });
  await waitFor('the empty set', () => service.endpoints.length === 0);
  t.equal(discovery.resolve('web:80'), service, 'a service without endpoints is still known (fails with no-endpoints)');
  source.set(targetId(WEB), WEB, { kind: 'unknown' });
  await waitFor('unknown', () => discovery.resolve('web:80') === undefined);
});

t.test('unknown, external and malformed authorities', async (t) => {
  const source = new TestSource();
  source.answers.set('api.example.com:443', { kind: 'external', addr: { host: 'api.example.com', port: 443 } });
  const { port } = await server(t, source);
  const { discovery } = client(t, port);
  await Promise.all(['nope:80', 'api.example.com:443', 'bad host:80'].map((a) => discovery.firstAnswer(a)));
  t.equal(discovery.resolve('nope:80'), undefined, 'unknown: answered at once, as unknown');
  t.match(discovery.resolve('api.example.com:443')?.endpoints, [{ key: 'api.example.com:443', addr: { host: 'api.example.com', port: 443 }, labels: {} }], 'not in the cluster: one direct endpoint');
  t.equal(discovery.resolve('bad host:80'), undefined, 'refused as malformed: unknown');
  t.equal(discovery.firstAnswer('bad host:80'), undefined, 'and not waited for again');
});

t.test('the controller goes away: the last answer stays, staleness shows, and the view converges after', async (t) => {
  const source = new TestSource();
  source.answers.set(targetId(WEB), webAt('10.0.0.1'));
  const first = await server(t, source);
  const { discovery, metrics } = client(t, first.port);
  await discovery.firstAnswer('web:80');
  const service = discovery.resolve('web:80')!;
  await first.close();
  await waitFor('the stream to be seen down', async () => metricValue(await metrics(), DESTINATION_METRIC.clientStreams, { state: 'reconnecting' }) === 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(service.endpoints.map((e) => e.key), ['10.0.0.1:8080'], 'never a blackhole: the endpoints stay');
  t.ok(metricValue(await metrics(), DESTINATION_METRIC.clientStaleSeconds) > 0, 'staleness is reported');

  source.answers.set(targetId(WEB), webAt('10.0.0.9'));
  await server(t, source, `127.0.0.1:${first.port}`);
  await waitFor('the fresh state after reconnecting', () => service.endpoints.length === 1 && service.endpoints[0].key === '10.0.0.9:8080', 5000);
  const text = await metrics();
  t.ok(metricValue(text, DESTINATION_METRIC.clientReconnectsTotal) >= 1, 'reconnects are counted');
  await waitFor('live again', async () => metricValue(await metrics(), DESTINATION_METRIC.clientStaleSeconds) === 0);
  t.ok(metricValue(text, DESTINATION_METRIC.clientUpdatesTotal, { kind: 'add' }) >= 2);
});

t.test('streams are shared per authority and closed when idle', async (t) => {
  const source = new TestSource();
  source.answers.set(targetId(WEB), webAt('10.0.0.1'));
  const srv = await server(t, source);
  const { discovery } = client(t, srv.port, { idleMs: 150 });
  const serverStreams = async () => metricValue(await srv.registry.metrics(), DESTINATION_METRIC.serverStreams);
  await Promise.all([discovery.firstAnswer('web:80'), discovery.firstAnswer('web:80')]);
  discovery.resolve('web:80');
  t.equal(await serverStreams(), 2, 'one Get and one GetProfile, however many callers');
  // Kept while used…
  for (let i = 0; i < 4; i++) {
    discovery.resolve('web:80');
    await new Promise((resolve) => setTimeout(resolve, 75));
  }
  t.equal(await serverStreams(), 2, 'kept while in use');
  // …and closed after going unused.
  await waitFor('the idle streams to close', async () => (await serverStreams()) === 0, 2000);
  t.equal(discovery.firstAnswer('web:80') instanceof Promise, true, 'asked again: followed afresh');
});
