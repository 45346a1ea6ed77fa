// The proxy requires undici's Pool and connector by their module paths (to skip the ~9 MB of fetch, WebSocket
// and caches the index loads): they must still be the very classes undici exports, or an upgrade moved them.
import t from 'tap';
import { UNDICI_CONNECT_MODULE, UNDICI_POOL_MODULE } from '../../../../proxy/http/undici-modules';

t.test('the deep paths are the Pool and buildConnector undici exports', async (t) => {
  const undici = require('undici') as typeof import('undici');
  t.equal(require(UNDICI_POOL_MODULE), undici.Pool);
  t.equal(require(UNDICI_CONNECT_MODULE), undici.buildConnector);
});
