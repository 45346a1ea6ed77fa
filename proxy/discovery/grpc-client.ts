// Discovery from the destination service (WEFT_PROXY_DESTINATION_SVC_ADDR): one Get and one GetProfile stream
// per authority, opened on first use, shared by every request for it, and closed when it has gone unused for
// a while. Streams that fail are opened again with backoff, and what they last said stays in force meanwhile:
// a controller restart never empties a proxy's endpoints.
import * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { formatHostPort, HostPort } from '../../common/address';
import { Clock, systemClock } from '../../common/clock';
import { IdleCache } from '../../common/idle-cache';
import { DestinationClient, DestinationProfile, GetDestination, Update, updateKind } from '../../common/destination-api';
import { explainTlsFailure, tlsChannel } from '../../common/grpc-tls';
import type { Logger } from '../../common/log';
import type { ControlPlaneTls } from '../config';
import { EndpointCensus } from './endpoint-census';
import { DiscoveryMetrics, StreamCensus } from './grpc-metrics';
import { Backoff, RetryingStream } from './retrying-stream';
import { Subscription } from './subscription';
import type { Discovery, EndpointRemoved, Service } from './types';

export interface GrpcDiscoveryOptions {
  addr: HostPort;
  /** Sent with every request (WEFT_PROXY_DESTINATION_CONTEXT): who is asking, for short names. */
  contextToken: string;
  /** TLS verifying the destination service's name against the trust anchors, or plaintext when so configured. */
  tls: ControlPlaneTls;
  log: Logger;
  registry: Registry;
  clock?: Clock;
  /** An authority not resolved for this long (at most 1.5 times it) has its streams closed. */
  idleMs?: number;
  /** How long the first request for an authority waits for the first answer. */
  firstAnswerWaitMs?: number;
  backoff?: Backoff;
}

/** Authorities come from clients (Host headers): beyond this many, new ones are not followed. */
const MAX_SUBSCRIPTIONS = 10_000;

interface Followed {
  subscription: Subscription;
  endpoints: RetryingStream<Update>;
  profile: RetryingStream<DestinationProfile>;
}

export class GrpcDiscovery implements Discovery {
  private readonly client: grpc.Client & Record<string, (request: GetDestination) => grpc.ClientReadableStream<never>>;
  private readonly followed: IdleCache<string, Followed>;
  private readonly clock: Clock;
  private readonly metrics: DiscoveryMetrics;
  private readonly endpoints = new EndpointCensus();
  private warnedFull = false;
  /** Whether the current outage has been logged; cleared when a stream delivers again. */
  private failureLogged = false;

  constructor(private readonly options: GrpcDiscoveryOptions) {
    this.clock = options.clock ?? systemClock;
    const channel = options.tls.kind === 'tls' ? tlsChannel(options.tls) : { credentials: grpc.credentials.createInsecure(), options: {} };
    if (options.tls.kind === 'plaintext') options.log.warn({ destinationService: formatHostPort(options.addr), why: options.tls.why }, 'talking to the destination service in plaintext');
    this.client = new DestinationClient(formatHostPort(options.addr), channel.credentials, {
      ...channel.options,
      // Notice a controller that vanished without closing the connection, so streams are opened again.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 5_000,
    }) as GrpcDiscovery['client'];
    this.metrics = new DiscoveryMetrics(options.registry, () => this.census());
    this.followed = new IdleCache({ idleMs: options.idleMs ?? 60_000, clock: this.clock, onEvict: (followed) => this.unfollow(followed) });
  }

  resolve(authority: string): Service | undefined {
    const subscription = this.follow(authority);
    return subscription?.state === 'known' ? subscription.service : undefined;
  }

  firstAnswer(authority: string): Promise<void> | undefined {
    const subscription = this.follow(authority);
    return subscription?.state === 'waiting' ? subscription.firstAnswer : undefined;
  }

  onEndpointRemoved(listener: EndpointRemoved): void {
    this.endpoints.onRemoved(listener);
  }

  close(): void {
    this.followed.clear();
    this.client.close();
  }

  private follow(authority: string): Subscription | undefined {
    const existing = this.followed.get(authority);
    if (existing) return existing.subscription;
    if (this.followed.size >= MAX_SUBSCRIPTIONS) {
      if (!this.warnedFull) this.options.log.warn({ limit: MAX_SUBSCRIPTIONS, authority }, 'following too many authorities; not following new ones until idle ones are evicted');
      this.warnedFull = true;
      return undefined;
    }
    const subscription = new Subscription(authority, this.clock, this.options.firstAnswerWaitMs ?? 2_000);
    const request: GetDestination = { path: authority, contextToken: this.options.contextToken };
    const backoff = this.options.backoff ?? { initialMs: 100, maxMs: 5_000 };
    const common = {
      clock: this.clock,
      backoff,
      onReconnect: () => this.metrics.reconnects.inc(),
      onFailure: (status: grpc.StatusObject) => this.logFailure(status),
      onRefused: (details: string) => {
        this.options.log.warn({ authority, error: details }, 'the destination service refused this authority; answering it as unknown');
        this.changeEndpoints(subscription, () => subscription.refuse());
      },
    };
    const endpoints = new RetryingStream<Update>({
      ...common,
      open: () => this.client.Get(request),
      onMessage: (update, fresh) => {
        this.failureLogged = false;
        this.metrics.updates.inc({ kind: updateKind(update) });
        this.changeEndpoints(subscription, () => subscription.applyUpdate(update, fresh));
      },
    });
    const profile = new RetryingStream<DestinationProfile>({
      ...common,
      open: () => this.client.GetProfile(request),
      onMessage: (message) => {
        this.metrics.updates.inc({ kind: 'profile' });
        subscription.applyProfile(message);
      },
    });
    this.followed.getOrCreate(authority, () => ({ subscription, endpoints, profile }));
    return subscription;
  }

  /** Once per outage: every stream fails alike when the service is down or its certificate is refused. */
  private logFailure(status: grpc.StatusObject): void {
    if (this.failureLogged) return;
    this.failureLogged = true;
    const details = this.options.tls.kind === 'tls' ? explainTlsFailure(status.details, this.options.tls) : status.details;
    this.options.log.warn(
      { destinationService: formatHostPort(this.options.addr), code: grpc.status[status.code], error: details },
      'the destination service failed; keeping what it last said and retrying',
    );
  }

  /** Evicted for going unused (or at close): its streams close and its endpoints leave discovery. */
  private unfollow(followed: Followed): void {
    if (this.followed.size < MAX_SUBSCRIPTIONS) this.warnedFull = false;
    followed.endpoints.close();
    followed.profile.close();
    followed.subscription.close();
    this.endpoints.replace(followed.subscription.service.endpoints, []);
    this.endpoints.flush();
  }

  /** Applies a change to a subscription's endpoints and reports those that left discovery with it. */
  private changeEndpoints(subscription: Subscription, change: () => void): void {
    const before = subscription.service.endpoints;
    change();
    this.endpoints.replace(before, subscription.service.endpoints);
    this.endpoints.flush();
  }

  private census(): StreamCensus {
    const now = this.clock.now();
    const census: StreamCensus = { live: 0, reconnecting: 0, oldestDownMs: 0 };
    for (const { endpoints } of this.followed.values()) {
      if (endpoints.downSince === undefined) {
        census.live++;
        continue;
      }
      census.reconnecting++;
      census.oldestDownMs = Math.max(census.oldestDownMs, now - endpoints.downSince);
    }
    return census;
  }
}
