// File discovery in a running proxy: edits to WEFT_PROXY_DESTINATION_FILE take effect without a restart, a
// broken edit is reported with its line and column while the last good version keeps routing, and a service
// that disappears from the file is an unknown authority again.
import * as fs from 'node:fs';
import t from 'tap';
import { formatHostPort } from '../../common/address';
import { PROXY_ERROR } from '../../common/contract';
import { startEchoServer } from '../fixtures/http-backends';
import { send, waitFor } from '../fixtures/http-client';
import { ServiceSpec, startProxy, writeEndpointsFile } from '../fixtures/proxy-process';

const AUTHORITY = 'web.test.svc.cluster.local:8080';
const OTHER = 'other.test.svc.cluster.local:8080';
/** Requests sent to confirm that routing holds steady, not just that it was right once. */
const STEADY_REQUESTS = 5;
/** A stray `}` on line 3, column 16. */
const BROKEN_YAML = `services:
  - authority: ${AUTHORITY}
    endpoints: }
`;

t.test('the endpoints file is followed while the proxy runs', async (t) => {
  const first = await startEchoServer(t);
  const second = await startEchoServer(t);
  const service = (addr: string): ServiceSpec => ({ authority: AUTHORITY, endpoints: [{ addr }] });
  const proxy = await startProxy(t, { services: [service(formatHostPort(first.addr))] });
  const file = proxy.endpointsFile!;
  const get = () => send(proxy.outbound, { authority: AUTHORITY });
  /** Which server answered the last `count` requests: 'first', 'second', or the proxy's status. */
  const answeredBy = async (count: number): Promise<string[]> => {
    const who: string[] = [];
    for (let i = 0; i < count; i++) {
      const [before1, before2] = [first.seen.length, second.seen.length];
      const reply = await get();
      who.push(first.seen.length > before1 ? 'first' : second.seen.length > before2 ? 'second' : String(reply.status));
    }
    return who;
  };

  t.same(await answeredBy(STEADY_REQUESTS), Array(STEADY_REQUESTS).fill('first'), 'starts on the first endpoint');

  t.test('a changed endpoint takes effect', async (t) => {
    writeEndpointsFile(file, [service(formatHostPort(second.addr))]);
    await waitFor('requests to reach the second server', async () => (await answeredBy(1))[0] === 'second');
    t.same(await answeredBy(STEADY_REQUESTS), Array(STEADY_REQUESTS).fill('second'), 'every request now goes to the new endpoint');
  });

  t.test('a broken file is reported with line and column; the last good version stays', async (t) => {
    const logged = proxy.logs().length;
    fs.writeFileSync(`${file}.tmp`, BROKEN_YAML);
    fs.renameSync(`${file}.tmp`, file);
    await waitFor('the proxy to report the broken file', () => proxy.logs().slice(logged).includes('endpoints file rejected'));
    const line = proxy.logs().slice(logged).split('\n').find((l) => l.includes('endpoints file rejected'))!;
    const entry = JSON.parse(line) as { level: number; error: string };
    t.equal(entry.level, 50, 'logged as an error');
    t.match(entry.error, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:16: `), 'names the file, line and column');
    t.same(await answeredBy(STEADY_REQUESTS), Array(STEADY_REQUESTS).fill('second'), 'routing is unchanged');
  });

  t.test('a removed service is an unknown authority', async (t) => {
    writeEndpointsFile(file, [{ authority: OTHER, endpoints: [{ addr: formatHostPort(first.addr) }] }]);
    await waitFor('the service to be gone', async () => (await get()).status === 503);
    const reply = await get();
    t.equal(reply.status, 503);
    t.equal(reply.headers[PROXY_ERROR], 'unknown-authority');
    t.match(reply.body.toString(), AUTHORITY, 'the body names the authority');
    const other = await send(proxy.outbound, { authority: OTHER });
    t.equal(other.status, 200, 'the service that remains is routed');
  });
});
