import t from 'tap';
import { UsageError } from '../../../common/errors';
import { parseAwaitArgs } from '../../../proxy/await';

t.test('weft-proxy await: defaults and flags', async (t) => {
  t.same(parseAwaitArgs([]), { help: false, options: { admin: { host: '127.0.0.1', port: 4191 }, timeoutMs: 120_000 } });
  t.same(parseAwaitArgs(['--timeout', '5s', '--admin-addr', '[::1]:9991']), { help: false, options: { admin: { host: '::1', port: 9991 }, timeoutMs: 5000 } });
  t.same(parseAwaitArgs(['--help']), { help: true });
});

t.test('bad flags are usage errors that say the accepted form', async (t) => {
  t.throws(() => parseAwaitArgs(['--timeout', '5']), new UsageError('--timeout "5" is not valid: expected a number with a unit: 250ms, 10s, 1m, 24h, above zero'));
  t.throws(() => parseAwaitArgs(['--timeout', '0s']), UsageError);
  t.throws(() => parseAwaitArgs(['--admin-addr', 'localhost']), /--admin-addr "localhost" is not valid: expected host:port/);
  t.throws(() => parseAwaitArgs(['--wait']), /Unknown option '--wait'.*see weft-proxy await --help/);
});
