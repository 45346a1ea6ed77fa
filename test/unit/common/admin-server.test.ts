import t from 'tap';
import { isLoopback } from '../../../common/admin-server';

t.test('loopback callers are recognised in every form Node reports them', async (t) => {
  for (const a of ['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1']) t.ok(isLoopback(a), a);
  for (const a of ['10.0.0.1', '198.18.0.2', '::ffff:10.0.0.1', '::2', undefined]) t.notOk(isLoopback(a), String(a));
});
