// The destination gRPC server: `weft.destination.Destination/Get` and `/GetProfile`, server streams that
// last as long as the proxy asks. Each stream parses its authority once, joins the topic for its target
// (topics.ts) and gets the whole state, then changes.
import * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, Registry } from 'prom-client';
import { DESTINATION_METRIC } from '../../common/contract';
import { DESTINATION_SERVICE, DestinationProfile, GetDestination, Update, updateKind } from '../../common/destination-api';
import type { HostPort } from '../../common/address';
import type { Logger } from '../../common/log';
import type { ClusterSource, Target } from '../cluster/types';
import type { ControlPlaneTlsMetrics } from '../tls/metrics';
import { serveGrpc, ServingTransport } from '../tls/serve';
import { InvalidAuthority, namespaceFromContext, parseAuthority } from './authority';
import { endpointChanges, profileOf, SentEndpoints, toSent } from './messages';
import { Topics } from './topics';

/** Messages a stream may have waiting to be sent before it counts as stuck and is ended (the proxy reconnects). */
const MAX_QUEUED_MESSAGES = 1000;

export interface DestinationServerOptions {
  /** Port 0 picks a free one (read it back from `port`). */
  addr: HostPort;
  /** TLS with the destination service's own certificate, unless the operator asked for plaintext. */
  transport: ServingTransport;
  tlsMetrics: ControlPlaneTlsMetrics;
  source: ClusterSource;
  log: Logger;
  registry: Registry;
  clusterDomain?: string;
}

export interface DestinationServer {
  port: number;
  close(): Promise<void>;
}

export async function startDestinationServer(options: DestinationServerOptions): Promise<DestinationServer> {
  const { source, log } = options;
  const registers = [options.registry];
  const streams = new Gauge({ name: DESTINATION_METRIC.serverStreams, help: 'Open destination streams', labelNames: ['method'], registers });
  const sent = new Counter({ name: DESTINATION_METRIC.serverUpdatesTotal, help: 'Destination messages sent', labelNames: ['method', 'kind'], registers });
  const endpoints = new Topics<SentEndpoints, Update>(source, { read: toSent, changes: endpointChanges });
  const profiles = new Topics<string, DestinationProfile>(source, {
    // The JSON of the profile is its state: equal text, nothing to send.
    read: (resolution) => JSON.stringify(profileOf(resolution)),
    changes: (from, to) => (from === to ? [] : [JSON.parse(to) as DestinationProfile]),
  });

  function serve<S, M>(method: 'Get' | 'GetProfile', topics: Topics<S, M>, kindOf: (m: M) => string) {
    return (call: grpc.ServerWritableStream<GetDestination, M>) => {
      const { path, contextToken } = call.request;
      let target: Target;
      try {
        target = parseAuthority(path, namespaceFromContext(contextToken), options.clusterDomain);
      } catch (err) {
        if (!(err instanceof InvalidAuthority)) throw err;
        log.debug({ method, path, error: err.message }, 'refused a malformed destination request');
        call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: err.message });
        return;
      }
      streams.inc({ method });
      let open = true;
      const stop = () => {
        if (!open) return;
        open = false;
        streams.dec({ method });
        unsubscribe();
      };
      const unsubscribe = topics.subscribe(target, (message) => {
        if (!open) return;
        sent.inc({ method, kind: kindOf(message) });
        if (call.write(message) || call.writableLength <= MAX_QUEUED_MESSAGES) return;
        log.warn({ method, path, peer: call.getPeer() }, 'destination stream is not being read; ending it so the proxy starts afresh');
        stop();
        call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: 'the stream fell too far behind; open it again' });
      });
      call.on('cancelled', stop);
      call.on('close', stop);
      call.on('error', stop);
    };
  }

  const server = new grpc.Server();
  server.addService(DESTINATION_SERVICE, {
    Get: serve('Get', endpoints, updateKind),
    GetProfile: serve('GetProfile', profiles, () => 'profile'),
  });
  const listening = await serveGrpc(server, { addr: options.addr, transport: options.transport, service: 'destination', log, metrics: options.tlsMetrics });
  return {
    port: listening.port,
    // Streams never finish by themselves: end them now; proxies keep what they know and reconnect.
    close: async () => {
      listening.close();
      server.forceShutdown();
    },
  };
}
