// Outbound label sets: discovery's endpoint labels become dst_* labels, only the names the contract knows.
import t from 'tap';
import { outboundLabels } from '../../../../proxy/metrics/labels';

t.test('endpoint labels → dst_*, bounded to the contract\'s names', async (t) => {
  const endpoint = {
    addr: { host: '10.0.0.1', port: 8080 },
    key: '10.0.0.1:8080',
    identity: 'books.demo.serviceaccount.identity.weft.cluster.local',
    labels: { namespace: 'demo', service: 'books', pod: 'books-0', deployment: 'books', serviceaccount: 'books', 'app.kubernetes.io/name': 'books', request: 'x' },
  };
  t.same(outboundLabels('books:8080', endpoint, true), {
    direction: 'outbound',
    authority: 'books:8080',
    tls: 'true',
    server_id: endpoint.identity,
    target_addr: '10.0.0.1:8080',
    dst_namespace: 'demo',
    dst_service: 'books',
    dst_pod: 'books-0',
    dst_deployment: 'books',
    dst_serviceaccount: 'books',
  });
  t.same(outboundLabels('db:5432', { ...endpoint, labels: { namespace: 'demo', statefulset: 'db' } }).dst_statefulset, 'db');
});
