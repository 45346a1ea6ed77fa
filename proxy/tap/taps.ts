// The taps open on this proxy. While there is at least one, the gate (gate.ts) is open and every request is
// offered to them: those whose match wants the request get its response watched (watch-response.ts) and an
// event once it is complete, within their rate; an event past a tap's rate, or offered while its stream cannot
// take more (a slow reader), is dropped and counted. Tap work runs apart from the request: a fault in it is
// logged and closes that tap, and the request goes on.
import type * as net from 'node:net';
import type { Counter } from 'prom-client';
import { parseHostPort } from '../../common/address';
import { TLS_TRUE } from '../../common/contract';
import type { Logger } from '../../common/log';
import type { TapEvent, TapMatch } from '../../common/tap-api';
import type { ProxyRequest } from '../http/request';
import type { ResponseSink } from '../http/sink';
import type { Direction } from '../metrics/labels';
import { connectionInfo } from '../transport/connection-info';
import { tapGate } from './gate';
import { namespaceOfIdentity, PeerFacts, TapMatcher } from './match';
import { RateLimit } from './rate-limit';
import { ResponseOutcome, watchResponse } from './watch-response';

export type DropReason = 'rate' | 'slow_reader';

export interface TapStream {
  /** False when the stream cannot take more now: the event is dropped. */
  writable(): boolean;
  write(event: TapEvent): void;
  /** Ends the tap after a fault in tap code. */
  fail(err: Error): void;
}

export class Tap {
  private readonly matcher: TapMatcher;
  private readonly rate: RateLimit;

  constructor(
    match: TapMatch | null,
    maxRps: number,
    readonly stream: TapStream,
    private readonly dropped: Counter<'reason'>,
    now: () => number,
  ) {
    this.matcher = new TapMatcher(match);
    this.rate = new RateLimit(maxRps, now);
  }

  wantsRequest(direction: Direction, req: ProxyRequest): boolean {
    return this.matcher.wantsRequest(direction, req.authority, req.method, req.path);
  }

  offer(direction: Direction, peer: PeerFacts, event: TapEvent): void {
    if (!this.matcher.wantsPeer(direction, peer)) return;
    if (!this.rate.take()) return void this.dropped.inc({ reason: 'rate' });
    if (!this.stream.writable()) return void this.dropped.inc({ reason: 'slow_reader' });
    this.stream.write(event);
  }
}

export class Taps {
  private readonly open = new Set<Tap>();

  constructor(private readonly log: Logger) {
    tapGate.observe = (direction, req, sink, socket) => this.contained(() => this.observe(direction, req, sink, socket));
  }

  get size(): number {
    return this.open.size;
  }

  has(tap: Tap): boolean {
    return this.open.has(tap);
  }

  add(tap: Tap): void {
    this.open.add(tap);
    tapGate.open = true;
  }

  remove(tap: Tap): void {
    this.open.delete(tap);
    if (this.open.size === 0) tapGate.open = false;
  }

  private observe(direction: Direction, req: ProxyRequest, sink: ResponseSink, socket: net.Socket): void {
    const wanting = this.safely([...this.open], (tap) => tap.wantsRequest(direction, req));
    if (wanting.length === 0) return;
    const timeMs = Date.now();
    const { method, authority, path } = req;
    const clientAddr = direction === 'inbound' ? (socket.remoteAddress ?? '') : '';
    const clientId = direction === 'inbound' ? connectionInfo(socket)?.clientId : undefined;
    watchResponse(sink, (outcome) => this.contained(() => {
      const event = toEvent(timeMs, direction, method, authority, path, outcome, sink, clientAddr);
      const peer: PeerFacts =
        direction === 'inbound'
          ? { identity: clientId, namespace: namespaceOfIdentity(clientId), ip: clientAddr.replace(/^::ffff:/, '') }
          : { namespace: event.dstLabels.namespace, service: event.dstLabels.service, pod: event.dstLabels.pod, identity: event.serverId || undefined, ip: parseHostPort(event.targetAddr)?.host };
      this.safely(wanting, (tap) => (tap.offer(direction, peer, event), false));
    }));
  }

  /** Tap's own work on the request path: a fault in it is logged, never the request's. */
  private contained(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ error: (err as Error).message, stack: (err as Error).stack }, 'tap failed on a request (the request is not affected)');
    }
  }

  /** Runs `fn` for each open tap, and keeps those it says yes to; a tap whose code throws is closed. */
  private safely(taps: Tap[], fn: (tap: Tap) => boolean): Tap[] {
    return taps.filter((tap) => {
      if (!this.open.has(tap)) return false;
      try {
        return fn(tap);
      } catch (err) {
        this.log.error({ error: (err as Error).message, stack: (err as Error).stack }, 'tap failed; closing it (the request is not affected)');
        this.remove(tap);
        tap.stream.fail(err as Error);
        return false;
      }
    });
  }
}

function toEvent(timeMs: number, direction: Direction, method: string, authority: string, path: string, outcome: ResponseOutcome, sink: ResponseSink, clientAddr: string): TapEvent {
  const labels = sink.target?.metrics.labels ?? {};
  const dstLabels: Record<string, string> = {};
  if (labels.dst_namespace) dstLabels.namespace = labels.dst_namespace;
  if (labels.dst_service) dstLabels.service = labels.dst_service;
  if (labels.dst_pod) dstLabels.pod = labels.dst_pod;
  const event: TapEvent = {
    timeMs,
    direction,
    method,
    authority,
    path,
    status: outcome.status,
    latencyMs: outcome.latencyMs,
    durationMs: outcome.durationMs,
    responseBytes: outcome.bytes,
    tls: labels.tls === TLS_TRUE,
    noTlsReason: labels.no_tls_reason ?? '',
    clientId: labels.client_id ?? '',
    serverId: labels.server_id ?? '',
    proxyError: outcome.proxyError ?? '',
    targetAddr: labels.target_addr ?? '',
    clientAddr,
    dstLabels,
  };
  if (outcome.grpcStatus !== undefined) event.grpcStatus = outcome.grpcStatus;
  return event;
}
