import { PassThrough, Readable } from 'node:stream';
import t from 'tap';
import { ReplayableBody } from '../../../../proxy/outbound/replayable-body';

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

t.test('each try gets the whole body, including what arrives after the retry started', async (t) => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, 100);
  const first = body.stream();
  source.write('hello ');
  await new Promise((r) => setImmediate(r));
  first.destroy();
  const second = body.stream();
  source.end('world');
  t.equal(await readAll(second), 'hello world');
  t.ok(body.replayable);
  t.equal(await readAll(body.stream()), 'hello world', 'and again once the body has ended');
});

t.test('past the limit the body streams on but can no longer be replayed', async (t) => {
  const source = new PassThrough();
  const body = new ReplayableBody(source, 10);
  const first = body.stream();
  const read = readAll(first);
  source.write('0123456789');
  source.end('abc');
  t.equal(await read, '0123456789abc');
  t.notOk(body.replayable);
});
