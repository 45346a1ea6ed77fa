import t from 'tap';
import { InvalidAuthority, namespaceFromContext, parseAuthority } from '../../../controller/destination/authority';

t.test('cluster names, short names, IPs and names outside the cluster', async (t) => {
  t.same(parseAuthority('web.demo.svc.cluster.local:8080', 'x'), { kind: 'service', name: 'web', namespace: 'demo', port: 8080 });
  t.same(parseAuthority('WEB.Demo.svc.cluster.local.:80', 'x'), { kind: 'service', name: 'web', namespace: 'demo', port: 80 }, 'case and a trailing dot do not matter');
  t.same(parseAuthority('web.demo.svc:80', 'x'), { kind: 'service', name: 'web', namespace: 'demo', port: 80 });
  t.same(parseAuthority('web:80', 'caller'), { kind: 'service', name: 'web', namespace: 'caller', port: 80 }, 'a short name is in the caller namespace');
  t.same(parseAuthority('db-0.db.data.svc.cluster.local:5432', 'x'), { kind: 'service', hostname: 'db-0', name: 'db', namespace: 'data', port: 5432 });
  t.same(parseAuthority('web.demo.svc.example.org:80', 'x', 'example.org'), { kind: 'service', name: 'web', namespace: 'demo', port: 80 }, 'another cluster domain');
  t.same(parseAuthority('10.1.0.7:8080', 'x'), { kind: 'ip', ip: '10.1.0.7', port: 8080 });
  t.same(parseAuthority('[fd00::7]:8080', 'x'), { kind: 'ip', ip: 'fd00::7', port: 8080 });
  t.same(parseAuthority('api.example.com:443', 'x'), { kind: 'name', host: 'api.example.com', port: 443 });
  t.same(parseAuthority('web.demo:80', 'x'), { kind: 'name', host: 'web.demo', port: 80 }, 'only the svc forms are cluster names');
});

t.test('malformed authorities are refused with what to send instead', async (t) => {
  for (const bad of ['web', 'web:', ':80', 'web:0', 'web:70000', 'a b:80', 'under_score:80', `${'a'.repeat(64)}:80`, 'a.b.c.d.svc.cluster.local:80', '']) {
    t.throws(() => parseAuthority(bad, 'x'), InvalidAuthority, JSON.stringify(bad));
  }
  t.throws(() => parseAuthority('web', 'x'), /is not host:port \(e\.g\. web\.demo\.svc\.cluster\.local:8080\)/);
});

t.test('the context token names the caller namespace', async (t) => {
  t.equal(namespaceFromContext(''), 'default');
  t.equal(namespaceFromContext('{"ns":"demo","nodeName":"n1"}'), 'demo');
  t.equal(namespaceFromContext('{}'), 'default');
  t.throws(() => namespaceFromContext('demo'), /is not JSON/);
  t.throws(() => namespaceFromContext('{"ns":"Not_Valid"}'), /names no valid namespace/);
});
