// The limits of an HTTP/1.1 pool to a peer weft proxy (proxy/http/http1-upstream.ts), with the reasons.

/**
 * DESIGN: how a pool to a peer weft proxy (mTLS) treats its connections, which each cost a TLS handshake (a few
 * milliseconds of CPU on both proxies) to replace.
 * - At most `maxConnections` per peer, requests beyond them wait in order (`maxQueued`), then 503 load-shed.
 *   Unbounded, a burst of concurrent requests opened as many connections at once, and under overload the
 *   handshakes took the CPU the requests needed (measured: wrk -c128 through two hops opened 223 connections
 *   in 8 s, 26 of them timing out in their handshake, 12 req/s answered).
 * - A request whose client went away (cancel, client timeout, per-try timeout) keeps its connection: the
 *   response is read and thrown away, up to `drainBytes` and `drainMs`, after which the connection is cut.
 *   HTTP/1.1 cannot abandon a response in flight any other way, and cutting it made every cancelled request
 *   cost a new handshake: clients that time out under load turned overload into a handshake storm.
 * Pools to the app (plaintext loopback) keep undici's defaults: a new connection there costs next to nothing,
 * and the app sees a cancelled request's connection close at once, as without the mesh.
 */
export interface PeerPoolLimits {
  maxConnections: number;
  maxQueued: number;
  drainBytes: number;
  drainMs: number;
}

/** maxConnections and maxQueued are WEFT_PROXY_OUTBOUND_PEER_MAX_CONNECTIONS / _MAX_QUEUED (proxy/config.ts). */
export const PEER_POOL_LIMITS: PeerPoolLimits = { maxConnections: 32, maxQueued: 256, drainBytes: 64 * 1024, drainMs: 2_000 };
