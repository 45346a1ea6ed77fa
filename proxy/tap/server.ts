// The proxy's tap server (weft.tap.Tap/Observe), loaded on the tap port's first connection (listener.ts):
// gRPC over mTLS with the proxy's own certificate. The handshake takes only clients whose certificate chains
// to the trust anchors; each call is then served only if that certificate names the control plane's tap
// identity (PERMISSION_DENIED otherwise). Limits: MAX_TAPS at once, at most MAX_TAP_MAX_RPS events per second
// each, small queries, connections that open no tap closed when idle.
import type * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { Counter, Gauge } from 'prom-client';
import { controlPlaneNameBeside, TAP_METRIC } from '../../common/contract';
import type { Logger } from '../../common/log';
import { DEFAULT_TAP_MAX_RPS, MAX_TAP_MAX_RPS, ObserveRequest, TAP_SERVICE, TapEvent } from '../../common/tap-api';
import { RenewingServerCredentials } from '../identity/grpc-server-credentials';
import type { LocalIdentity } from '../identity/local-identity';
import type { ProxyRegistry } from '../metrics/registry';
import { dnsNamesOf } from '../transport/tls-connect';
import { TapMatcher } from './match';
import { Tap, Taps } from './taps';

/** Taps one proxy serves at once; each costs a match per request while open. */
export const MAX_TAPS = 16;
/** A query is a few names; the pod lists of a large workload still fit. */
const MAX_QUERY_BYTES = 1 << 20;
/** Events a tap's stream may hold unsent before new ones are dropped (slow_reader). */
const MAX_QUEUED_EVENTS = 1000;
const IDLE_CONNECTION_MS = 5 * 60_000;

export interface TapServer {
  /** Hands the server a connection accepted on the tap port (its TLS handshake is still to come). */
  inject(socket: net.Socket): void;
  close(): void;
}

export function createTapServer(identity: LocalIdentity, registry: ProxyRegistry, log: Logger): TapServer {
  const tapName = controlPlaneNameBeside('tap', identity.name);
  const registers = [registry.registry];
  const dropped = new Counter({ name: TAP_METRIC.eventsDroppedTotal, help: 'Tap events not sent: past the tap\'s rate, or its reader too slow', labelNames: ['reason'], registers });
  const streams = new Gauge({ name: TAP_METRIC.openTaps, help: 'Taps open on this proxy', registers });
  const taps = new Taps(log);
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_QUERY_BYTES, 'grpc.max_connection_idle_ms': IDLE_CONNECTION_MS });

  server.addService(TAP_SERVICE, {
    observe(call: grpc.ServerWritableStream<ObserveRequest, TapEvent>) {
      const refuse = (code: grpc.status, details: string) => {
        log.warn({ client: call.getPeer(), details }, 'tap refused');
        call.emit('error', { code, details });
      };
      const caller = dnsNamesOf(call.getAuthContext()?.sslPeerCertificate ?? ({} as never));
      if (tapName === undefined || !caller.includes(tapName)) {
        return refuse(grpc.status.PERMISSION_DENIED, `tap is served to ${tapName ?? 'the tap service of this mesh'} only, not to ${caller.join(', ') || 'a client without an identity'}`);
      }
      const { match, maxRps } = call.request;
      const invalid = TapMatcher.invalid(match) ?? (maxRps > MAX_TAP_MAX_RPS ? `max_rps is at most ${MAX_TAP_MAX_RPS}` : undefined);
      if (invalid) return refuse(grpc.status.INVALID_ARGUMENT, invalid);
      if (taps.size >= MAX_TAPS) return refuse(grpc.status.RESOURCE_EXHAUSTED, `this proxy serves ${MAX_TAPS} taps at once; close one first`);
      const stream = {
        writable: () => !call.cancelled && call.writableLength < MAX_QUEUED_EVENTS,
        write: (event: TapEvent) => void call.write(event),
        fail: (err: Error) => call.emit('error', { code: grpc.status.INTERNAL, details: `tap failed: ${err.message}` }),
      };
      const tap = new Tap(match, maxRps || DEFAULT_TAP_MAX_RPS, stream, dropped, () => performance.now());
      taps.add(tap);
      streams.set(taps.size);
      log.info({ client: call.getPeer(), match, maxRps: maxRps || DEFAULT_TAP_MAX_RPS }, 'tap opened');
      const closed = () => {
        if (!taps.has(tap)) return;
        taps.remove(tap);
        streams.set(taps.size);
        log.info({ client: call.getPeer() }, 'tap closed');
      };
      call.once('cancelled', closed);
      call.once('close', closed);
      call.once('error', closed);
    },
  });
  const injector = server.createConnectionInjector(new RenewingServerCredentials(identity, { required: true }));
  return {
    inject: (socket) => injector.injectConnection(socket),
    close: () => {
      injector.destroy();
      server.forceShutdown();
    },
  };
}
