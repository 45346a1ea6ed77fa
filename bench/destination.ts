// Destination fan-out at cluster scale: a real weft-controller watching the test Kubernetes API server (its
// own process) with 1,000 services, 10,000 endpoints (pods and EndpointSlices) and 5,000 concurrent Get
// streams; then EndpointSlice changes, timed from the API write to the update on every subscribed stream, and
// the controller's RSS. `runDestinationBench()` returns the figures; run this file alone to print them.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { DestinationClient, Update } from '../common/destination-api';
import { nodeArgsFor, REPO_ROOT } from '../common/entrypoint';

export interface DestinationBenchOptions {
  services?: number;
  endpointsPerService?: number;
  streams?: number;
  changes?: number;
  /** Changes in flight at once. */
  concurrentChanges?: number;
  log?: (line: string) => void;
}

export interface DestinationBenchResult {
  services: number;
  endpoints: number;
  streams: number;
  changes: number;
  /** From an EndpointSlice write to its update on each subscribed stream (one sample per stream per change). */
  latencyMs: { p50: number; p99: number; max: number; samples: number };
  /** From opening all streams to every one having its first answer. */
  subscribeAllMs: number;
  controllerRssMiB: { idle: number; withStreams: number; afterChanges: number };
}

const NAMESPACE = 'bench';
const STREAMS_PER_CHANNEL = 200;

export async function runDestinationBench(options: DestinationBenchOptions = {}): Promise<DestinationBenchResult> {
  const services = options.services ?? 1000;
  const perService = options.endpointsPerService ?? 10;
  const streamCount = options.streams ?? 5000;
  const changes = options.changes ?? 300;
  const concurrent = options.concurrentChanges ?? 10;
  const log = options.log ?? ((line: string) => process.stderr.write(`destination bench: ${line}\n`));
  const children: ChildProcess[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-destination-'));
  const channels: grpc.Client[] = [];
  try {
    // The fixture runs from source through tsx: test/ is not part of the dist/ build.
    const kube = await startChild(children, ['--require', 'tsx/cjs', path.join(REPO_ROOT, 'test/fixtures/kube-api-server-process.ts')], 'stdout', '"url"');
    const api = new KubeRest(JSON.parse(kube.line).url as string);
    log(`seeding ${services} services with ${services * perService} endpoints`);
    await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    await inBatches(services, 20, async (s) => {
      for (let e = 0; e < perService; e++) await api.post(`/api/v1/namespaces/${NAMESPACE}/pods`, podObject(s, e));
      await api.post(`/api/v1/namespaces/${NAMESPACE}/services`, {
        apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${s}`, namespace: NAMESPACE }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      });
      await api.post(`/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices`, sliceObject(s, perService));
    });

    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, kubeconfigText(api.url));
    const controller = await startChild(
      children,
      [...nodeArgsFor('controller/main'), 'destination', '--destination-plaintext', '--kubeconfig', kubeconfig, '--destination-addr', '127.0.0.1:0', '--admin-addr', '127.0.0.1:0', '--log-format', 'json', '--log-level', 'info'],
      'stderr',
      '"controller ready"',
    );
    const destination = JSON.parse(controller.line).destination as string;
    const idle = rssMiB(controller.child.pid!);
    log(`controller ready (RSS ${idle} MiB); opening ${streamCount} streams`);

    // Each stream records, per IP, when it first saw it added.
    const seen: Map<string, number>[] = [];
    const byService = new Map<number, number[]>();
    let answered = 0;
    const opened = performance.now();
    for (let i = 0; i < streamCount; i++) {
      if (i % STREAMS_PER_CHANNEL === 0) {
        channels.push(new DestinationClient(destination, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
      }
      const client = channels.at(-1) as grpc.Client & Record<'Get', (r: { path: string; contextToken: string }) => grpc.ClientReadableStream<Update>>;
      const service = i % services;
      const times = new Map<string, number>();
      seen.push(times);
      byService.set(service, [...(byService.get(service) ?? []), i]);
      let first = true;
      const call = client.Get({ path: `svc-${service}.${NAMESPACE}.svc.cluster.local:80`, contextToken: '' });
      call.on('data', (update: Update) => {
        if (first) answered++;
        first = false;
        const now = performance.now();
        for (const a of update.add?.addrs ?? []) if (!times.has(a.addr.ip)) times.set(a.addr.ip, now);
      });
      call.on('error', () => {});
    }
    await until(() => answered === streamCount, 120_000, 'every stream to get its first answer');
    const subscribeAllMs = Math.round(performance.now() - opened);
    const withStreams = rssMiB(controller.child.pid!);
    log(`all streams answered in ${subscribeAllMs} ms (controller RSS ${withStreams} MiB); ${changes} slice changes, ${concurrent} at a time`);

    const samples: number[] = [];
    await inBatches(changes, concurrent, async (c) => {
      const service = (c * 7919) % services;
      const ip = `10.200.${Math.floor(c / 250)}.${(c % 250) + 1}`;
      const started = performance.now();
      await api.patch(`/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices/svc-${service}-a`, {
        endpoints: [...sliceObject(service, perService).endpoints, { addresses: [ip], conditions: { ready: true } }],
      });
      const subscribers = byService.get(service) ?? [];
      await until(() => subscribers.every((i) => seen[i].has(ip)), 30_000, `the update for ${ip} on every stream of svc-${service}`);
      for (const i of subscribers) samples.push(seen[i].get(ip)! - started);
    });
    samples.sort((a, b) => a - b);
    const pick = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] * 10) / 10;
    return {
      services,
      endpoints: services * perService,
      streams: streamCount,
      changes,
      latencyMs: { p50: pick(0.5), p99: pick(0.99), max: pick(1), samples: samples.length },
      subscribeAllMs,
      controllerRssMiB: { idle, withStreams, afterChanges: rssMiB(controller.child.pid!) },
    };
  } finally {
    for (const channel of channels) channel.close();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function podObject(service: number, endpoint: number) {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `svc-${service}-${endpoint}`, namespace: NAMESPACE, annotations: { 'weft.io/proxy-version': 'bench' } },
    spec: { serviceAccountName: `sa-${service}`, containers: [{ name: 'app', image: 'app' }] },
    status: { podIP: endpointIp(service, endpoint) },
  };
}

function sliceObject(service: number, perService: number) {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `svc-${service}-a`, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': `svc-${service}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: Array.from({ length: perService }, (_, e) => ({
      addresses: [endpointIp(service, e)],
      conditions: { ready: true },
      targetRef: { kind: 'Pod', name: `svc-${service}-${e}`, namespace: NAMESPACE },
    })),
  };
}

const endpointIp = (service: number, endpoint: number) => `10.${100 + Math.floor(service / 250)}.${service % 250}.${endpoint + 1}`;

function kubeconfigText(server: string): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'bench',
    clusters: [{ name: 'bench', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'bench', user: {} }],
    contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench' } }],
  });
}

class KubeRest {
  constructor(readonly url: string) {}

  post(apiPath: string, body: unknown): Promise<void> {
    return this.send('POST', apiPath, body, 'application/json');
  }

  patch(apiPath: string, body: unknown): Promise<void> {
    return this.send('PATCH', apiPath, body, 'application/merge-patch+json');
  }

  private async send(method: string, apiPath: string, body: unknown, contentType: string): Promise<void> {
    const res = await fetch(`${this.url}${apiPath}`, { method, headers: { 'content-type': contentType }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${apiPath}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
}

/** Runs `work(0 … n-1)`, at most `width` at a time. */
async function inBatches(n: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) await work(next++);
  }));
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Spawns node with `args` and resolves with the first line on `stream` that contains `marker`. */
function startChild(children: ChildProcess[], args: string[], stream: 'stdout' | 'stderr', marker: string): Promise<{ child: ChildProcess; line: string }> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'ignore', stream === 'stderr' ? 'pipe' : 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface(child[stream]!);
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')}: no "${marker}" line within 120 s`)), 120_000);
    lines.on('line', (line) => {
      if (!line.includes(marker)) return;
      clearTimeout(timer);
      resolve({ child, line });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before it was ready`)));
  });
}

function rssMiB(pid: number): number {
  const kib = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round(kib / 102.4) / 10;
}

if (require.main === module) {
  const small = process.argv.includes('--small');
  runDestinationBench(small ? { services: 100, endpointsPerService: 5, streams: 500, changes: 50 } : {}).then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (err: Error) => {
      process.stderr.write(`destination bench: error: ${err.message}\n`);
      process.exit(1);
    },
  );
}
