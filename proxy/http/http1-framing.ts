// The HTTP/1 request heads weft refuses before routing, on top of what Node's parser (llhttp) already rejects
// (malformed lines, Content-Length beside Transfer-Encoding, chunked not the last coding, headers over 64 KiB,
// no Host in HTTP/1.1). Each of these would otherwise be forwarded as a different request than the client sent:
// - past its header count Node drops the remaining lines silently (Content-Length and Transfer-Encoding too);
// - the body is re-framed on the next hop, so a coding before `chunked` (`gzip, chunked`) would be lost;
// - Node keeps the first of two Host headers, and the next server might route by the other one.
import { ENV } from '../../common/contract';
import { ProxyError } from './errors';

/**
 * The reason to refuse a request head, given Node's `rawHeaders` (name, value, name, value…), or undefined
 * when it may be forwarded. `maxHeaders` counts the client's header lines. Pure: no I/O, never throws.
 */
export function http1HeadRefusal(rawHeaders: readonly string[], maxHeaders: number): ProxyError | undefined {
  const count = rawHeaders.length / 2;
  // Node keeps one line past the limit (servers.ts sets it so), which is how a longer head shows here.
  if (count > maxHeaders) return new ProxyError('too-many-headers', `the request has more than ${maxHeaders} header lines (${ENV.httpMaxHeaders})`);
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (name === 'host') hosts++;
    else if (name === 'transfer-encoding') {
      const coding = otherThanChunked(rawHeaders[i + 1]);
      if (coding !== undefined) return new ProxyError('unsupported-transfer-coding', `transfer coding ${JSON.stringify(coding)} is not supported; only chunked is`);
    }
  }
  if (hosts > 1) return new ProxyError('malformed-request', `the request has ${hosts} Host headers`);
  return undefined;
}

/** The first coding in a Transfer-Encoding value that is not `chunked`. Empty list elements are allowed (RFC 9110 §5.6.1). */
function otherThanChunked(value: string): string | undefined {
  for (const element of value.split(',')) {
    const coding = element.trim().toLowerCase();
    if (coding !== '' && coding !== 'chunked') return coding;
  }
  return undefined;
}
