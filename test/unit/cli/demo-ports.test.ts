// The demo's default ports: distinct, below the kernel's ephemeral range, and held until released.
import * as fs from 'node:fs';
import * as net from 'node:net';
import t from 'tap';
import { SparePorts } from '../../../cli/demo/ports';

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

t.test('SparePorts hands out distinct ports below the ephemeral range, held until release()', async (t) => {
  const spare = new SparePorts();
  t.teardown(() => spare.release());
  const ports: number[] = [];
  for (let i = 0; i < 22; i++) ports.push(await spare.next());
  t.equal(new Set(ports).size, ports.length, 'no port twice');
  const ephemeralLow = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  t.ok(ports.every((port) => port >= 10_000 && port < ephemeralLow), `all in [10000, ${ephemeralLow}): ${ports.join(' ')}`);
  t.notOk(await canListen(ports[0]), 'a chosen port is held while the rest are chosen');
  await spare.release();
  t.ok(await canListen(ports[0]), 'and free for the demo’s process once released');
});
