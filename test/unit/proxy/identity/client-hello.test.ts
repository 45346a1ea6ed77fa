// The ClientHello reader against real ClientHellos (captured from node:tls) and against broken ones.
import * as net from 'node:net';
import * as tls from 'node:tls';
import t from 'tap';
import { parseClientHello } from '../../../../proxy/transport/client-hello';

/** The first bytes a real TLS client sends, for `servername` (none when undefined). */
function captureClientHello(servername?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((s) => {
      s.once('data', (d: Buffer) => {
        resolve(d);
        s.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const client = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
      client.on('error', () => {});
    });
    server.on('error', reject);
  });
}

t.test('reads the SNI of a real ClientHello, and notices when there is none', async (t) => {
  const hello = await captureClientHello('web.demo.serviceaccount.identity.weft.cluster.local');
  t.same(parseClientHello(hello), { kind: 'client-hello', serverName: 'web.demo.serviceaccount.identity.weft.cluster.local' });
  t.same(parseClientHello(hello.subarray(0, 3)), { kind: 'incomplete' }, 'three bytes are not enough to tell');
  t.same(parseClientHello(hello.subarray(0, hello.length - 1)), { kind: 'incomplete' }, 'one byte short is still incomplete');
  const bare = await captureClientHello(undefined); // node sends no SNI for an IP address
  t.same(parseClientHello(bare), { kind: 'client-hello', serverName: undefined });
});

t.test('plaintext is told apart from the first byte', async (t) => {
  t.same(parseClientHello(Buffer.from('G')), { kind: 'not-tls' });
  t.same(parseClientHello(Buffer.from('PRI * HTTP/2.0')), { kind: 'not-tls' });
  t.same(parseClientHello(Buffer.from([0x16, 0x07, 0x01])), { kind: 'not-tls' }, 'a 0x16 byte without a TLS version is not TLS');
});

t.test('broken ClientHellos are malformed, never a crash', async (t) => {
  const hello = await captureClientHello('a.example');
  const lyingLength = Buffer.from(hello);
  lyingLength.writeUInt16BE(0xffff, hello.indexOf(Buffer.from('a.example')) - 2); // SNI name length past the end
  t.equal(parseClientHello(lyingLength).kind, 'malformed');
  const notHello = Buffer.from(hello);
  notHello[5] = 0x02; // ServerHello where a ClientHello should be
  t.match(parseClientHello(notHello), { kind: 'malformed', reason: /not a ClientHello/ });
  t.match(parseClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00])), { kind: 'malformed', reason: /record length 0/ });
  const garbage = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x30, 0x01, 0xff, 0xff, 0xff]), Buffer.alloc(0x2c, 0xee)]);
  t.equal(parseClientHello(garbage).kind, 'malformed');
});
