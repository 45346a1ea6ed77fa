// The tap service's routes (local /tap, the aggregated API's paths and discovery) and the front-proxy settings read
// from kube-system/extension-apiserver-authentication: pure, so every shape is checked here.
import t from 'tap';
import { frontProxyConfig } from '../../../../controller/tap/front-proxy';
import { tapRoute } from '../../../../controller/tap/routes';

const PREFIX = '/apis/tap.weft.io/v1alpha1';

t.test('aggregated routes: the target from the path, discovery by GET, the rest refused', async (t) => {
  t.same(tapRoute('aggregated', 'POST', `${PREFIX}/watch/namespaces/demo/deployments/web/tap`), { kind: 'tap', target: { resource: 'deployments/web', namespace: 'demo' } });
  t.same(tapRoute('aggregated', 'POST', `${PREFIX}/watch/namespaces/demo/tap`), { kind: 'tap', target: { resource: 'ns/demo', namespace: 'demo' } });
  t.match(tapRoute('aggregated', 'GET', PREFIX), { kind: 'discovery', document: { kind: 'APIResourceList', groupVersion: 'tap.weft.io/v1alpha1' } });
  t.match(tapRoute('aggregated', 'GET', '/apis'), { kind: 'discovery', document: { kind: 'APIGroupList', groups: [{ name: 'tap.weft.io' }] } });
  t.match(tapRoute('aggregated', 'GET', `${PREFIX}/watch/namespaces/demo/tap`), { kind: 'refused', status: 405, allow: 'POST' });
  t.match(tapRoute('aggregated', 'POST', '/tap'), { kind: 'refused', status: 404 });
  t.match(tapRoute('local', 'POST', `${PREFIX}/watch/namespaces/demo/tap`), { kind: 'refused', status: 404 }, 'locally only /tap');
  t.same(tapRoute('local', 'POST', '/tap'), { kind: 'tap' });
});

t.test('front-proxy settings: usable, or a problem that says why (nobody is believed then)', async (t) => {
  const ca = '-----BEGIN CERTIFICATE-----\nMII…\n-----END CERTIFICATE-----\n';
  t.same(frontProxyConfig({ 'requestheader-client-ca-file': ca, 'requestheader-allowed-names': '["front-proxy-client"]', 'requestheader-username-headers': '["X-Remote-User"]', 'requestheader-group-headers': '["X-Remote-Group"]' }), {
    caPem: ca,
    allowedNames: ['front-proxy-client'],
    usernameHeaders: ['x-remote-user'],
    groupHeaders: ['x-remote-group'],
  });
  t.match(frontProxyConfig(undefined).problem, /does not exist/);
  t.match(frontProxyConfig({}).problem, /has no requestheader-client-ca-file/);
  t.match(frontProxyConfig({ 'requestheader-client-ca-file': ca, 'requestheader-username-headers': 'X-Remote-User' }).problem, /requestheader-username-headers is not a JSON list of strings/);
  t.match(frontProxyConfig({ 'requestheader-client-ca-file': ca }).problem, /names no requestheader-username-headers/);
});
