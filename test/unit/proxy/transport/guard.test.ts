// The guard: whatever a guarded callback throws or rejects with is reported once (error log with stack and
// peer, one count) and contained; containment that fails itself goes to the next guard out; nothing escapes.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import t from 'tap';
import { connectionGuard } from '../../../../proxy/transport/guard';
import { guardProbe } from '../../../fixtures/guard-probe';

t.test('a throw is reported once, with its stack and the peer, counted, and contained', async (t) => {
  const probe = guardProbe();
  probe.guard.run(() => {
    throw new TypeError("Cannot read properties of undefined (reading 'socket')");
  });
  t.equal(probe.contained.length, 1, 'contained once');
  t.match(probe.contained[0], TypeError, 'with the error thrown');
  t.equal(await probe.counted(), 1, 'counted in proxy_internal_errors_total');
  t.equal(probe.errors.length, 1, 'one error line');
  t.match(probe.errors[0], { peer: '192.0.2.1:4000', scope: 'connection', err: { type: 'TypeError', stack: /guard\.test\.ts/ } }, 'naming the peer, with the stack');
});

t.test('a rejection of the promise a guarded callback returns is a fault too', async (t) => {
  const probe = guardProbe();
  probe.guard.run(async () => {
    await Promise.resolve();
    throw new Error('async failure');
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.match(probe.contained, [{ message: 'async failure' }]);
  t.equal(await probe.counted(), 1);
});

t.test('event listeners, timers and handed-out callbacks are guarded; the emitter never sees the throw', async (t) => {
  const probe = guardProbe();
  const emitter = new EventEmitter();
  probe.guard.on(emitter, 'data', (n: number) => {
    if (n === 2) throw new Error('listener failure');
  });
  probe.guard.once(emitter, 'end', () => {
    throw new Error('once failure');
  });
  t.doesNotThrow(() => {
    emitter.emit('data', 1);
    emitter.emit('data', 2);
    emitter.emit('end');
    emitter.emit('end');
  }, 'emit returns normally');
  await new Promise<void>((resolve) =>
    setTimeout(
      probe.guard.wrap(() => {
        resolve();
        throw new Error('timer failure');
      }),
      1,
    ),
  );
  t.same(
    probe.contained.map((e) => e.message),
    ['listener failure', 'once failure', 'timer failure'],
    'each fault is contained, in order; `once` runs once',
  );
});

t.test('later faults of a guard already failed: contained again, but counted and logged at error only once', async (t) => {
  const probe = guardProbe();
  for (let i = 0; i < 3; i++) probe.guard.run(() => {
    throw new Error(`fault ${i}`);
  });
  t.equal(probe.contained.length, 3, 'containment is repeated (it must be idempotent)');
  t.equal(await probe.counted(), 1, 'counted once');
  t.equal(probe.errors.length, 1, 'one error line');
  t.equal(probe.debugs.length, 2, 'the others at debug');
});

t.test('a request guard contains in its request; when that fails, the connection guard takes over', async (t) => {
  const probe = guardProbe();
  const failedRequests: string[] = [];
  const request = probe.guard.forRequest((error) => failedRequests.push(error.message));
  request.run(() => {
    throw new Error('bug in a request');
  });
  t.same(failedRequests, ['bug in a request'], 'the request was failed');
  t.equal(probe.contained.length, 0, 'the connection is left alone');
  t.match(probe.errors[0], { scope: 'request' });

  const broken = probe.guard.forRequest(() => {
    throw new Error('cannot even fail the request');
  });
  broken.run(() => {
    throw new Error('bug in another request');
  });
  t.match(probe.contained, [{ message: 'cannot even fail the request' }], 'the connection guard contained what the request guard could not');
});

t.test('connectionGuard: one guard per socket, whose containment closes it', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  const socket = await accepted;
  const probe = guardProbe();
  const guard = connectionGuard(socket, probe.reporter);
  t.equal(connectionGuard(socket, probe.reporter), guard, 'the same guard every time');
  t.equal(guard.peer, `127.0.0.1:${client.localPort}`, 'named after the peer');
  const clientClosed = new Promise((resolve) => client.once('close', resolve));
  guard.run(() => {
    throw new Error('bug on this connection');
  });
  t.ok(socket.destroyed, 'the connection was destroyed');
  await clientClosed;
  t.pass('and the client saw it close');
});
