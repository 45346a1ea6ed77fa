// Limits on each HTTP/2 session a client opens to the proxy (DESIGN.md "Failure containment"):
// - concurrent streams: SETTINGS_MAX_CONCURRENT_STREAMS is config.http2MaxConcurrentStreams at the app's edge;
//   a peer proxy that proved its identity over mTLS gets PEER_STREAMS_HEADROOM times as many, because its one
//   session carries the requests of every app behind it.
// - rapid reset: a stream the client resets before its response began spends from a ResetBudget; a client that
//   runs out gets GOAWAY ENHANCE_YOUR_CALM and its connection closed.
// - header list size: SETTINGS_MAX_HEADER_LIST_SIZE is advertised, but Node enforces it only once the client
//   has acknowledged the SETTINGS, which an HPACK bomb never does; so each request's decoded size is checked.
import * as http2 from 'node:http2';
import type { Clock } from '../../common/clock';
import { PROXY_ERROR } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { Guard } from '../transport/guard';
import { ResetBudget, ResetRate } from './reset-budget';

export const PEER_STREAMS_HEADROOM = 10;
/**
 * A client may cancel a batch of 200 requests at once, then 30 a second. nghttp2 (Node 20) has a limit of its
 * own, 1,000 then 33 a second, answered with GOAWAY INTERNAL_ERROR: these trip first, and say what happened.
 */
export const EDGE_RESETS: ResetRate = { burst: 200, perSecond: 30 };
/** A peer proxy relays the cancellations of many apps. */
export const PEER_RESETS: ResetRate = { burst: 800, perSecond: 30 };

/** What a session from a peer proxy may carry at once, for an edge limit of `edge`. */
export function peerMaxConcurrentStreams(edge: number): number {
  return Math.min(edge * PEER_STREAMS_HEADROOM, 2 ** 31 - 1);
}

export interface SessionLimits {
  maxConcurrentStreams: number;
  clock: Pick<Clock, 'now'>;
}

/** Applies the limits to a new session; the returned function is told about each of its streams. */
export function limitSession(
  session: http2.ServerHttp2Session,
  fromPeer: boolean,
  limits: SessionLimits,
  guard: Guard,
  log: Logger,
): (stream: http2.ServerHttp2Stream) => void {
  // The server's own SETTINGS carry the edge's limit; a peer's session raises it at once.
  if (fromPeer) session.settings({ maxConcurrentStreams: peerMaxConcurrentStreams(limits.maxConcurrentStreams) });
  const rate = fromPeer ? PEER_RESETS : EDGE_RESETS;
  const budget = new ResetBudget(rate, limits.clock);
  let calmed = false;
  const reset = () => {
    if (calmed || session.destroyed || session.closed || budget.spend()) return;
    calmed = true;
    log.warn(
      { peer: guard.peer, burst: rate.burst, perSecond: rate.perSecond },
      'client reset streams faster than allowed (rapid reset); closing its connection with GOAWAY ENHANCE_YOUR_CALM',
    );
    session.destroy(new Error('rapid reset'), http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  };
  return (stream) => {
    // Reset before the proxy saw it (HEADERS and RST_STREAM in one read): nothing to serve, but it counts.
    if (stream.destroyed) return reset();
    guard.once(stream, 'close', () => {
      if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR && !stream.headersSent) reset();
    });
  };
}

/**
 * Whether a request's headers (as Node's flat [name, value, …] list) are over `limit` bytes, counted as RFC 9113
 * §6.5.2 does: name and value lengths plus 32 per field.
 */
export function headerListTooLarge(rawHeaders: readonly string[], limit: number): boolean {
  let size = 0;
  for (let i = 0; i < rawHeaders.length; i++) {
    size += rawHeaders[i].length + (i % 2 === 0 ? 32 : 0);
    if (size > limit) return true;
  }
  return false;
}

/** 431, as an HTTP/1 client gets from Node's parser for the same headers. */
export function refuseTooLargeHeaders(stream: http2.ServerHttp2Stream): void {
  stream.respond({ ':status': 431, 'content-type': 'text/plain; charset=utf-8', [PROXY_ERROR]: 'headers-too-large' });
  stream.end('Request Header Fields Too Large\n');
}
