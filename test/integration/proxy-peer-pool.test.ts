// The HTTP/1.1 pool between two meshed proxies (mTLS), proxy/http/http1-upstream.ts PeerPoolLimits:
// - a client that goes away does not cost the connection between the proxies: the response is drained and the
//   connection kept, unless the response is over the drain limits (bytes or time), then it is cut;
// - at most maxConnections requests are on the wire to a peer, maxQueued more wait, the rest get 503 load-shed.
import * as http from 'node:http';
import t from 'tap';
import { formatHostPort } from '../../common/address';
import { ENV, identityName, METRIC, PROXY_ERROR } from '../../common/contract';
import { PEER_POOL_LIMITS } from '../../proxy/http/peer-pool-limits';
import { listenOnLoopback } from '../fixtures/http-backends';
import { send, waitFor } from '../fixtures/http-client';
import { startTestIdentityService } from '../fixtures/identity';
import { metricValue, startProxy } from '../fixtures/proxy-process';

const WEB = 'web.test:8080';
const WEB_ID = identityName('web', 'test');
const { drainBytes, drainMs } = PEER_POOL_LIMITS;
/** Small, set through the environment: the defaults (PEER_POOL_LIMITS) work the same way, with more requests. */
const maxConnections = 4;
const maxQueued = 6;
/** Requests past the queue: each must be shed at once. */
const EXTRA = 8;
const SLOW_MS = 300;
const SLOW_TIMEOUT_MS = 30_000;

t.test('the HTTP/1.1 pool between two mTLS proxies', async (t) => {
  const identity = await startTestIdentityService(t);
  const held: http.ServerResponse[] = [];
  let answered = 0;
  const backend = http.createServer((req, res) => {
    req.resume();
    const answer = (body: Buffer | string) => {
      answered++;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.url === '/slow') setTimeout(() => answer('slow answer\n'), SLOW_MS);
    else if (req.url === '/big') setTimeout(() => answer(Buffer.alloc(drainBytes * 4, 'x')), SLOW_MS);
    else if (req.url === '/never') res.writeHead(200, { 'content-type': 'text/plain' }).write('a head and then nothing');
    else if (req.url === '/held') held.push(res);
    else answer('ok\n');
  });
  const backendAddr = await listenOnLoopback(t, backend);
  t.teardown(() => backend.closeAllConnections());
  const server = await startProxy(t, { app: backendAddr, identity: identity.proxyEnv('web') });
  const client = await startProxy(t, {
    identity: identity.proxyEnv('client'),
    env: { [ENV.outboundPeerMaxConnections]: String(maxConnections), [ENV.outboundPeerMaxQueued]: String(maxQueued) },
    services: [{ authority: WEB, endpoints: [{ addr: formatHostPort(server.inbound), identity: WEB_ID }] }],
  });
  const toPeer = { direction: 'outbound', peer: 'dst' };
  const closedToPeer = async () => metricValue(await client.metrics(), METRIC.tcpCloseTotal, toPeer);
  const openedToPeer = async () => metricValue(await client.metrics(), METRIC.tcpOpenTotal, toPeer);
  t.equal((await send(client.outbound, { authority: WEB, path: '/' })).status, 200, 'warm-up: one connection between the proxies');

  /** A request the client gives up on after `afterMs`; resolves once it is gone. */
  const cancelled = (path: string, afterMs: number) =>
    new Promise<void>((resolve) => {
      const req = http.get({ ...client.outbound, path, headers: { host: WEB }, agent: false });
      req.on('error', () => resolve());
      req.on('response', (res) => res.on('error', () => resolve()));
      setTimeout(() => req.destroy(), afterMs);
    });

  t.test('a cancelled request keeps its connection: the response is drained', async (t) => {
    const closedBefore = await closedToPeer();
    const openedBefore = await openedToPeer();
    const cancels = 5;
    for (let i = 0; i < cancels; i++) {
      const answeredBefore = answered;
      await cancelled('/slow', SLOW_MS / 3);
      await waitFor('the backend to answer the cancelled request', () => answered > answeredBefore, SLOW_TIMEOUT_MS);
      t.equal((await send(client.outbound, { authority: WEB, path: '/' })).status, 200, `request ${i} after a cancel is answered`);
    }
    t.equal(await closedToPeer(), closedBefore, `${cancels} cancelled requests closed no connection between the proxies`);
    // The next request may arrive while the first cancelled response is still being drained: one more connection.
    const opened = (await openedToPeer()) - openedBefore;
    t.ok(opened <= 1, `and opened at most one: drained connections served the next requests (${opened} new)`);
  });

  t.test(`a cancelled response over ${drainBytes} bytes costs its connection`, async (t) => {
    const closedBefore = await closedToPeer();
    await cancelled('/big', SLOW_MS / 3);
    await waitFor('the connection to be cut', async () => (await closedToPeer()) === closedBefore + 1, SLOW_TIMEOUT_MS);
    t.equal((await send(client.outbound, { authority: WEB, path: '/' })).status, 200, 'the next request is answered');
  });

  t.test(`a cancelled response not over within ${drainMs} ms costs its connection`, async (t) => {
    const closedBefore = await closedToPeer();
    const cancelledAt = Date.now();
    await cancelled('/never', 200);
    await waitFor('the connection to be cut', async () => (await closedToPeer()) === closedBefore + 1, drainMs + SLOW_TIMEOUT_MS);
    t.ok(Date.now() - cancelledAt >= drainMs, `cut after the drain deadline (${Date.now() - cancelledAt} ms)`);
  });

  t.test(`${maxConnections} requests on the wire, ${maxQueued} waiting, the rest shed with 503 load-shed`, async (t) => {
    const openedBefore = await openedToPeer();
    const total = maxConnections + maxQueued + EXTRA;
    let shed = 0;
    // All at once: whichever come last find the slots and the queue full.
    const replies = Array.from({ length: total }, () =>
      heldRequest().then((r) => {
        if (r.status === 503 && r.reason === 'load-shed') shed++;
    
        return r;
      }),
    );
    await waitFor(`${EXTRA} requests to be shed while ${maxConnections} are held`, () => shed === EXTRA && held.length === maxConnections, SLOW_TIMEOUT_MS);
    t.pass(`${EXTRA} requests past the queue were shed with 503 and ${PROXY_ERROR}: load-shed while the others waited`);
    t.equal(held.length, maxConnections, `the backend holds exactly ${maxConnections} requests`);
    const opened = (await openedToPeer()) - openedBefore;
    t.ok(opened <= maxConnections, `at most ${maxConnections} connections between the proxies (${opened} new)`);
    // Answer them as they come: every queued request gets its turn.
    const release = setInterval(() => {
      for (const res of held.splice(0)) res.end('released\n');
    }, 20);
    t.teardown(() => clearInterval(release));
    const all = await Promise.all(replies);
    clearInterval(release);
    t.equal(all.filter((r) => r.status === 200).length, maxConnections + maxQueued, 'every request on the wire or queued is answered 200');
    t.equal(shed, EXTRA, 'and no more were shed');
  });

  function heldRequest(): Promise<{ status: number; reason: string | undefined }> {
    return send(client.outbound, { authority: WEB, path: '/held', timeoutMs: SLOW_TIMEOUT_MS }).then((r) => ({ status: r.status, reason: r.headers[PROXY_ERROR] as string | undefined }));
  }
});
