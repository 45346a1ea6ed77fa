// Which requests a tap wants: the request's own fields when it arrives, the peer once known.
import t from 'tap';
import type { TapMatch, TapPeer } from '../../../../common/tap-api';
import { namespaceOfIdentity, TapMatcher } from '../../../../proxy/tap/match';

const EMPTY: TapMatch = { direction: '', authority: '', method: '', pathPrefix: '', to: null, from: null };
const peer = (fields: Partial<TapPeer>): TapPeer => ({ namespace: '', services: [], pods: [], identities: [], ips: [], ...fields });

t.test('no match takes everything', async (t) => {
  for (const m of [null, EMPTY]) {
    const matcher = new TapMatcher(m);
    t.ok(matcher.wantsRequest('inbound', 'a:80', 'GET', '/') && matcher.wantsRequest('outbound', 'b:80', 'POST', '/x'));
    t.ok(matcher.wantsPeer('outbound', {}));
  }
});

t.test('request fields: direction, authority without case, method, path prefix', async (t) => {
  const matcher = new TapMatcher({ ...EMPTY, direction: 'outbound', authority: 'Books:80', method: 'post', pathPrefix: '/orders' });
  t.ok(matcher.wantsRequest('outbound', 'books:80', 'POST', '/orders/1'));
  t.notOk(matcher.wantsRequest('inbound', 'books:80', 'POST', '/orders/1'), 'direction');
  t.notOk(matcher.wantsRequest('outbound', 'web:80', 'POST', '/orders/1'), 'authority');
  t.notOk(matcher.wantsRequest('outbound', 'books:80', 'GET', '/orders/1'), 'method');
  t.notOk(matcher.wantsRequest('outbound', 'books:80', 'POST', '/carts'), 'path prefix');
});

t.test('to selects outbound requests to the peer, from inbound requests from it; every field set must hold', async (t) => {
  const to = new TapMatcher({ ...EMPTY, to: peer({ namespace: 'demo', pods: ['books-0'] }) });
  t.notOk(to.wantsRequest('inbound', 'x:80', 'GET', '/'), 'to: not inbound');
  t.ok(to.wantsPeer('outbound', { namespace: 'demo', pod: 'books-0', service: 'books' }));
  t.notOk(to.wantsPeer('outbound', { namespace: 'demo', pod: 'books-1' }));
  t.notOk(to.wantsPeer('outbound', { namespace: 'prod', pod: 'books-0' }));
  t.notOk(to.wantsPeer('outbound', {}), 'an endpoint discovery labelled nothing is no pod of it');
  const from = new TapMatcher({ ...EMPTY, from: peer({ identities: ['web.demo.serviceaccount.identity.weft.cluster.local'], ips: ['10.0.0.1'] }) });
  t.notOk(from.wantsRequest('outbound', 'x:80', 'GET', '/'), 'from: not outbound');
  t.ok(from.wantsPeer('inbound', { identity: 'web.demo.serviceaccount.identity.weft.cluster.local', ip: '10.0.0.1' }));
  t.notOk(from.wantsPeer('inbound', { identity: 'web.demo.serviceaccount.identity.weft.cluster.local', ip: '10.0.0.9' }), 'both facts must hold');
  t.notOk(from.wantsPeer('inbound', { ip: '10.0.0.1' }), 'a plaintext caller proves no identity');
});

t.test('invalid matches', async (t) => {
  t.match(TapMatcher.invalid({ ...EMPTY, direction: 'sideways' }), /direction must be inbound or outbound/);
  t.match(TapMatcher.invalid({ ...EMPTY, to: peer({ namespace: 'a' }), from: peer({ namespace: 'b' }) }), /not both/);
  t.equal(TapMatcher.invalid({ ...EMPTY, to: peer({}), from: peer({ namespace: 'b' }) }), undefined, 'an empty peer is no peer');
});

t.test('the namespace of an identity name', async (t) => {
  t.equal(namespaceOfIdentity('web.demo.serviceaccount.identity.weft.cluster.local'), 'demo');
  t.equal(namespaceOfIdentity('not-an-identity'), undefined);
  t.equal(namespaceOfIdentity(undefined), undefined);
});
