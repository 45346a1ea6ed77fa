// http1HeadRefusal on request heads as Node's parser hands them over (rawHeaders: name, value, name, value…).
import t from 'tap';
import { http1HeadRefusal } from '../../../../proxy/http/http1-framing';

const LIMIT = 5;

/** `n` header lines: a Host and n - 1 others. */
const lines = (n: number): string[] => ['Host', 'web.test', ...Array.from({ length: n - 1 }, (_, i) => [`x-${i}`, 'v']).flat()];

t.test('forwarded as they are', async (t) => {
  const cases: [string, string[]][] = [
    ['a plain GET', ['Host', 'web.test', 'Accept', '*/*']],
    ['exactly the limit of header lines', lines(LIMIT)],
    ['chunked', ['Host', 'web.test', 'Transfer-Encoding', 'chunked']],
    ['chunked in any case, with empty list elements', ['Host', 'web.test', 'transfer-encoding', ' , CHUNKED ,']],
    ['Content-Length', ['Host', 'web.test', 'Content-Length', '3']],
    ['a header merely named like Host', ['Host', 'web.test', 'X-Forwarded-Host', 'a', 'Hostname', 'b']],
    ['no headers (the parser answers a missing Host itself)', []],
  ];
  for (const [name, raw] of cases) t.equal(http1HeadRefusal(raw, LIMIT), undefined, name);
});

t.test('more header lines than the limit → 431 too-many-headers, naming the limit and its variable', async (t) => {
  const refusal = http1HeadRefusal(lines(LIMIT + 1), LIMIT);
  t.equal(refusal?.reason, 'too-many-headers');
  t.equal(refusal?.status, 431);
  t.match(refusal?.message, /more than 5 header lines \(WEFT_PROXY_HTTP_MAX_HEADERS\)/);
  t.equal(http1HeadRefusal(lines(2000), 100)?.reason, 'too-many-headers', 'far past it too');
});

t.test('a transfer coding other than chunked → 501 unsupported-transfer-coding, naming the coding', async (t) => {
  const cases: [string, string[], string][] = [
    ['gzip before chunked', ['Transfer-Encoding', 'gzip, chunked'], 'gzip'],
    ['in its own header line', ['Transfer-Encoding', 'gzip', 'Transfer-Encoding', 'chunked'], 'gzip'],
    ['identity (removed from HTTP/1.1)', ['Transfer-Encoding', 'identity, chunked'], 'identity'],
    ['a lower-case header name and an upper-case coding', ['transfer-encoding', 'DEFLATE,chunked'], 'deflate'],
    ['chunked with a parameter', ['Transfer-Encoding', 'chunked;ext=1'], 'chunked;ext=1'],
  ];
  for (const [name, raw, coding] of cases) {
    const refusal = http1HeadRefusal(['Host', 'web.test', ...raw], LIMIT);
    t.equal(refusal?.reason, 'unsupported-transfer-coding', name);
    t.equal(refusal?.status, 501, `${name}: 501`);
    t.match(refusal?.message, JSON.stringify(coding), `${name}: names ${coding}`);
  }
});

t.test('two Host headers → 400 malformed-request, whatever their case or values', async (t) => {
  for (const raw of [
    ['Host', 'web.test', 'Host', 'evil.test'],
    ['host', 'web.test', 'HOST', 'web.test'],
  ]) {
    const refusal = http1HeadRefusal(raw, LIMIT);
    t.equal(refusal?.reason, 'malformed-request', raw.join(' '));
    t.equal(refusal?.status, 400);
    t.match(refusal?.message, /2 Host headers/);
  }
});

t.test('the count is checked first: a long head is 431 whatever else is wrong with it', async (t) => {
  t.equal(http1HeadRefusal([...lines(LIMIT), 'Host', 'again'], LIMIT)?.reason, 'too-many-headers');
});
