import t from 'tap';
import { forwardHeaders, isGrpc } from '../../../proxy/http/headers';

t.test('hop-by-hop headers and those Connection names are dropped; end-to-end ones kept', async (t) => {
  const out = forwardHeaders({
    connection: 'keep-alive, x-private',
    'keep-alive': 'timeout=5',
    'proxy-connection': 'keep-alive',
    'transfer-encoding': 'chunked',
    upgrade: 'h2c',
    'x-private': 'secret',
    host: 'a:1',
    expect: '100-continue',
    ':authority': 'a:1',
    'x-request-id': 'abc',
    'set-cookie': ['a=1', 'b=2'],
  });
  t.same(out, { 'x-request-id': 'abc', 'set-cookie': ['a=1', 'b=2'] });
});

t.test('te: trailers survives only when asked (HTTP/2 and gRPC need it)', async (t) => {
  t.same(forwardHeaders({ te: 'trailers' }, { keepTeTrailers: true }), { te: 'trailers' });
  t.same(forwardHeaders({ te: 'trailers' }), {});
  t.same(forwardHeaders({ te: 'gzip' }, { keepTeTrailers: true }), {});
});

t.test('weft-* headers are dropped for callers outside the mesh', async (t) => {
  const input = { 'weft-dst-override': 'x:1', 'weft-orig-proto': 'HTTP/1.1', 'x-a': '1' };
  t.same(forwardHeaders(input, { dropWeftHeaders: true }), { 'x-a': '1' });
  t.same(forwardHeaders(input), input);
});

t.test('gRPC is recognised by content-type', async (t) => {
  t.ok(isGrpc('application/grpc'));
  t.ok(isGrpc('application/grpc+proto'));
  t.notOk(isGrpc('application/json'));
  t.notOk(isGrpc(undefined));
});
