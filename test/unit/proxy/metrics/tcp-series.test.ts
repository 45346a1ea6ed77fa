import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import t from 'tap';
import { METRIC } from '../../../../common/contract';
import { ProxyRegistry } from '../../../../proxy/metrics/registry';
import { trackConnection } from '../../../../proxy/metrics/tcp';
import { FakeClock } from '../balance/fake-clock';

const IDLE_MS = 60_000;

/** What trackConnection reads of a socket: its events and byte counts. */
function fakeSocket(): Socket {
  return Object.assign(new EventEmitter(), { bytesRead: 10, bytesWritten: 20 }) as unknown as Socket;
}

function setup() {
  const clock = new FakeClock();
  const registry = new ProxyRegistry({ idleMs: IDLE_MS, clock });
  t.teardown(() => registry.eventLoopDelay.stop());
  const text = () => registry.registry.metrics();
  return { clock, registry, text };
}

const labels = (endpoint: string) => ({ direction: 'outbound', peer: 'dst', target_addr: endpoint, tls: 'no_identity', no_tls_reason: 'loopback' });

t.test("an endpoint's tcp series stay while a connection is open, and for the idle timeout after the last closed", async (t) => {
  const { clock, registry, text } = setup();
  const open = fakeSocket();
  const closing = fakeSocket();
  trackConnection(registry, open, labels('10.0.0.1:80'));
  trackConnection(registry, closing, labels('10.0.0.2:80'));
  closing.emit('error', Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
  closing.emit('close');

  clock.advance(IDLE_MS * 3);
  const after = await text();
  t.match(after, /tcp_open_connections\{[^}]*target_addr="10\.0\.0\.1:80"[^}]*\} 1/, 'the open connection is still counted');
  t.notMatch(after, /10\.0\.0\.2:80/, 'every series of the closed, idle endpoint is gone, tcp_close_total included');

  open.emit('close');
  clock.advance(IDLE_MS - 1);
  t.match(await text(), new RegExp(`${METRIC.tcpCloseTotal}\\{[^}]*target_addr="10\\.0\\.0\\.1:80"`), 'its close is scraped for a while');
  clock.advance(IDLE_MS);
  t.notMatch(await text(), /10\.0\.0\.1:80/, 'then it goes too');
});

t.test('connections of the same labels share their series', async (t) => {
  const { registry, text } = setup();
  const a = fakeSocket();
  const b = fakeSocket();
  trackConnection(registry, a, labels('10.0.0.3:80'));
  trackConnection(registry, b, labels('10.0.0.3:80'));
  a.emit('close');
  t.match(await text(), /tcp_open_connections\{[^}]*10\.0\.0\.3:80[^}]*\} 1/);
  t.match(await text(), /tcp_open_total\{[^}]*10\.0\.0\.3:80[^}]*\} 2/);
});
