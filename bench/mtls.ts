// Two hops with and without mTLS, at a fixed 1k req/s: what verifying both proxies costs in the tail
// (issue 4 target: added p99 ≤ 2 ms). The identity service runs in this process (as `weft-controller`'s role
// would), signing for local tokens; the proxies get their certificates from it like any meshed proxy.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createIssuer, createTrustAnchor, loadAuthority } from '../certs';
import { systemClock } from '../common/clock';
import { ENV, identityName } from '../common/contract';
import { createLogger } from '../common/log';
import { LocalTokenAuthority } from '../controller/identity/local-token-authority';
import { startIdentityServer } from '../controller/identity/server';
import { Backend, startBackend } from './backends/start';
import type { ConstantRateOptions, ConstantRateResult } from './load/constant-rate-client';
import { runNodeTool } from './load/node-tool';
import { stopProcess } from './processes';
import { BENCH_AUTHORITY, startWeftProxy, WeftProxy } from './weft';

const RATE = 1000;
const WARMUP_MS = 1000;
const MEASURE_MS = 5000;
const ROUNDS = 3;

export interface MtlsBenchResult {
  plaintextP99Ms: number;
  mtlsP99Ms: number;
  addedP99Ms: number;
  failed: number;
  firstError?: string;
  method: string;
}

/** client → weft A → (h2, plaintext | mTLS) → weft B → hello-http1; median p99 over alternating rounds. */
export async function runMtlsBench(): Promise<MtlsBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-mtls-'));
  const anchor = createTrustAnchor();
  const issuer = loadAuthority(createIssuer({ anchor: loadAuthority(anchor) }));
  const tokens = new LocalTokenAuthority();
  const identity = await startIdentityServer({ address: '127.0.0.1:0', issuer: () => issuer, reviewer: tokens, clock: systemClock, log: createLogger('bench-identity', 'warn', 'plain') });
  const identityEnv = (serviceAccount: string): NodeJS.ProcessEnv => {
    const tokenFile = path.join(dir, `${serviceAccount}.token`);
    fs.writeFileSync(tokenFile, tokens.mint({ serviceAccount, namespace: 'bench' }));
    return {
      [ENV.identityDisabled]: 'false',
      [ENV.identitySvcAddr]: `127.0.0.1:${identity.port}`,
      [ENV.identityTokenFile]: tokenFile,
      [ENV.identityLocalName]: identityName(serviceAccount, 'bench'),
      [ENV.identityTrustAnchors]: anchor.certPem,
    };
  };
  const proxies: WeftProxy[] = [];
  let backend: Backend | undefined;
  try {
    backend = await startBackend('hello-http1');
    const start = async (appPort: number, route: Parameters<typeof startWeftProxy>[2], env: NodeJS.ProcessEnv = {}) => {
      const proxy = await startWeftProxy(dir, appPort, route, false, [], env);
      proxies.push(proxy);
      return proxy;
    };
    const plainServer = await start(backend.port, undefined);
    const plainClient = await start(backend.port, { port: plainServer.inboundPort, peerProxy: true });
    const mtlsServer = await start(backend.port, undefined, identityEnv('server'));
    const mtlsClient = await start(backend.port, { port: mtlsServer.inboundPort, peerProxy: true, identity: identityName('server', 'bench') }, identityEnv('client'));
    const plain: ConstantRateResult[] = [];
    const mtls: ConstantRateResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      plain.push(await measure(plainClient.outboundPort));
      mtls.push(await measure(mtlsClient.outboundPort));
    }
    const plaintextP99Ms = median(plain.map((r) => r.p99Ms));
    const mtlsP99Ms = median(mtls.map((r) => r.p99Ms));
    return {
      plaintextP99Ms,
      mtlsP99Ms,
      addedP99Ms: mtlsP99Ms - plaintextP99Ms,
      failed: [...plain, ...mtls].reduce((n, r) => n + r.failed, 0),
      firstError: [...plain, ...mtls].find((r) => r.firstError)?.firstError,
      method: `bench/mtls.ts: HTTP/1.1 at ${RATE} req/s through two weft hops, h2 between them plaintext vs mTLS; ${WARMUP_MS / 1000} s warm-up then ${MEASURE_MS / 1000} s, median p99 of ${ROUNDS} alternating rounds`,
    };
  } finally {
    await Promise.all(proxies.map((p) => stopProcess(p.process)));
    if (backend) await stopProcess(backend.process);
    await identity.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function measure(port: number): Promise<ConstantRateResult> {
  const options: ConstantRateOptions = { protocol: 'http1', port, authority: BENCH_AUTHORITY, ratePerSecond: RATE, warmupMs: WARMUP_MS, durationMs: MEASURE_MS, connections: 16 };
  return runNodeTool<ConstantRateResult>('bench/load/constant-rate-client', options, WARMUP_MS + MEASURE_MS + 15_000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
