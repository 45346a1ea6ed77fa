// 1,000 client connections opened and dropped through weft-proxy's outbound port (idle, mid-request-line,
// mid-body, reset, and complete ones): afterwards the proxy holds no more file descriptors or connections
// than before, its memory has not grown beyond a generous bound, and it still answers.
import * as http from 'node:http';
import type * as net from 'node:net';
import t from 'tap';
import type { HostPort } from '../../common/address';
import { METRIC } from '../../common/contract';
import { listenOnLoopback } from '../fixtures/http-backends';
import { connect, processResources, send, waitFor } from '../fixtures/http-client';
import { metricValue, ProxyProcess, serviceAt, startProxy } from '../fixtures/proxy-process';

const CONNECTIONS = 1_000;
const WARM_UP_CONNECTIONS = 100;
const CONCURRENCY = 25;
/** Each connection's whole life is bounded; a stuck one is destroyed and counted. */
const CONNECTION_DEADLINE_MS = 5_000;
const FD_MARGIN = 5;
const CONNECTION_MARGIN = 2;
const RSS_GROWTH_BOUND_KIB = 64 * 1024;

/** The ways a client can use and drop a connection; the i-th connection uses CHURN_KINDS[i % length]. */
const CHURN_KINDS: ReadonlyArray<(socket: net.Socket) => Promise<void>> = [
  // Connects and leaves without a word.
  async (socket) => void socket.end(),
  // Leaves in the middle of the request line.
  async (socket) => {
    socket.write('GET /chur');
    socket.destroy();
  },
  // Leaves in the middle of a body the proxy is already forwarding upstream.
  async (socket) => {
    socket.write(`POST /churn/body HTTP/1.1\r\nHost: churn.test\r\nContent-Length: 2000\r\n\r\n${'x'.repeat(1000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.destroy();
  },
  // Resets right after sending its headers, without waiting for the answer.
  async (socket) => {
    socket.write('GET /churn/reset HTTP/1.1\r\nHost: churn.test\r\n\r\n');
    socket.resetAndDestroy();
  },
  // A complete request, answered, then the connection closes.
  async (socket) => {
    socket.write('GET /churn/complete HTTP/1.1\r\nHost: churn.test\r\nConnection: close\r\n\r\n');
    await new Promise((resolve) => socket.resume().once('close', resolve));
  },
];

async function churn(to: HostPort, count: number): Promise<number> {
  let next = 0;
  let stuck = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const socket = await connect(to);
      socket.on('error', () => {});
      const deadline = setTimeout(() => {
        stuck++;
        socket.destroy();
      }, CONNECTION_DEADLINE_MS);
      await Promise.race([CHURN_KINDS[i % CHURN_KINDS.length](socket), new Promise((resolve) => socket.once('close', resolve))]);
      clearTimeout(deadline);
      socket.destroy();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return stuck;
}

const openConnections = async (proxy: ProxyProcess) => metricValue(await proxy.metrics(), METRIC.tcpOpenConnections);

t.test(`${CONNECTIONS} connections opened and dropped leave no file descriptors, connections or memory behind`, async (t) => {
  // Closes idle and request-less upstream connections within about a second, so that once the churn is over
  // the proxy's pool holds nothing either and every count can go back to where it was.
  const upstream = http.createServer({ keepAliveTimeout: 500, headersTimeout: 1_000, requestTimeout: 1_000, connectionsCheckingInterval: 200 }, (req, res) =>
    req.resume().once('end', () => res.end('ok')),
  );
  const upstreamAddr = await listenOnLoopback(t, upstream);
  const proxy = await startProxy(t, {
    services: [serviceAt('churn.test:80', upstreamAddr)],
  });
  const pid = proxy.child.pid!;

  t.equal(await churn(proxy.outbound, WARM_UP_CONNECTIONS), 0, 'warm-up connections all ended in time');
  await waitFor('the warm-up connections to close', async () => (await openConnections(proxy)) === 0, 10_000);
  const before = { ...processResources(pid), connections: await openConnections(proxy) };

  const startedAt = Date.now();
  t.equal(await churn(proxy.outbound, CONNECTIONS), 0, `all ${CONNECTIONS} connections ended within ${CONNECTION_DEADLINE_MS} ms each`);
  t.comment(`churned ${CONNECTIONS} connections in ${Date.now() - startedAt} ms`);

  let after = { ...processResources(pid), connections: await openConnections(proxy) };
  const settled = async () => {
    after = { ...processResources(pid), connections: await openConnections(proxy) };
    return after.openFds <= before.openFds + FD_MARGIN && after.connections <= before.connections + CONNECTION_MARGIN;
  };
  await waitFor('file descriptors and connections to return to the baseline', settled, 10_000, 200).catch(() => {});
  t.ok(after.openFds <= before.openFds + FD_MARGIN, `open fds ${after.openFds}, baseline ${before.openFds} (margin ${FD_MARGIN})`);
  t.ok(after.connections <= before.connections + CONNECTION_MARGIN, `${METRIC.tcpOpenConnections} ${after.connections}, baseline ${before.connections}`);

  // RSS rarely shrinks right after a burst; give the collector a few seconds before judging growth.
  await waitFor('RSS to settle', () => processResources(pid).rssKiB - before.rssKiB <= RSS_GROWTH_BOUND_KIB, 5_000, 250).catch(() => {});
  const growthKiB = processResources(pid).rssKiB - before.rssKiB;
  t.ok(growthKiB <= RSS_GROWTH_BOUND_KIB, `RSS grew ${growthKiB} KiB from ${before.rssKiB} KiB (bound ${RSS_GROWTH_BOUND_KIB} KiB)`);

  const reply = await send(proxy.outbound, { authority: 'churn.test', path: '/after-churn' });
  t.equal(reply.status, 200, 'the proxy still answers');
});
