import t from 'tap';
import { applyJsonPatch, JsonPatchError, pointerSegment } from '../../../common/json-patch';

t.test('RFC 6902 operations, on a copy', async (t) => {
  const doc = { metadata: { annotations: { a: '1' } }, list: [1, 2] };
  const out = applyJsonPatch(doc, [
    { op: 'add', path: `/metadata/annotations/${pointerSegment('weft.io/inject')}`, value: 'enabled' },
    { op: 'add', path: '/list/0', value: 0 },
    { op: 'add', path: '/list/-', value: 3 },
    { op: 'replace', path: '/metadata/annotations/a', value: '2' },
    { op: 'copy', from: '/list/1', path: '/first' },
    { op: 'move', from: '/first', path: '/moved' },
    { op: 'remove', path: '/list/1' },
    { op: 'test', path: '/moved', value: 1 },
  ]);
  t.same(out, { metadata: { annotations: { a: '2', 'weft.io/inject': 'enabled' } }, list: [0, 2, 3], moved: 1 });
  t.same(doc, { metadata: { annotations: { a: '1' } }, list: [1, 2] }, 'the input is untouched');
  t.equal(pointerSegment('a~b/c'), 'a~0b~1c');
});

t.test('a patch that does not fit its document is refused with the path', async (t) => {
  const doc = { list: [1], map: {} };
  const refused = (ops: unknown, pattern: RegExp) => t.throws(() => applyJsonPatch(doc, ops), pattern) && t.throws(() => applyJsonPatch(doc, ops), JsonPatchError);
  refused({}, /must be an array/);
  refused([{ op: 'add', path: '/missing/x', value: 1 }], /"\/missing\/x" does not exist/);
  refused([{ op: 'remove', path: '/map/x' }], /cannot remove missing path "\/map\/x"/);
  refused([{ op: 'add', path: '/list/5', value: 1 }], /no such index/);
  refused([{ op: 'replace', path: '/list/-', value: 1 }], /no such index/);
  refused([{ op: 'add', path: 'list', value: 1 }], /must start with "\/"/);
  refused([{ op: 'test', path: '/list/0', value: 2 }], /test operation failed/);
  refused([{ op: 'frobnicate', path: '/list' }], /unknown operation "frobnicate"/);
  refused([{ op: 'remove', path: '' }], /cannot remove the whole document/);
});
