// What the proxy knows about one authority from the destination service: a Service object, updated in place
// from the Get stream (endpoints) and the GetProfile stream (policy). When a stream is down, the last answer
// stays in force: the endpoints are not cleared until the controller says otherwise.
import { formatHostPort, HostPort } from '../../common/address';
import type { DestinationProfile, Update, WeightedAddr } from '../../common/destination-api';
import type { Clock } from '../../common/clock';
import type { Endpoint, Service } from './types';

/** waiting: no answer yet; known: a service (possibly without endpoints); unknown: no such service. */
export type SubscriptionState = 'waiting' | 'known' | 'unknown';

export class Subscription {
  readonly service: Service;
  state: SubscriptionState = 'waiting';
  /** Settles with the first answer, or after the wait given to the constructor. */
  readonly firstAnswer: Promise<void>;
  private settleFirstAnswer!: () => void;
  private readonly firstAnswerTimer: NodeJS.Timeout;
  private readonly byKey = new Map<string, Endpoint>();
  /** The endpoint set is the one direct connection of not_in_cluster. */
  private direct = false;

  constructor(
    authority: string,
    private readonly clock: Clock,
    firstAnswerWaitMs: number,
  ) {
    this.service = { authority, endpoints: [], policy: {} };
    this.firstAnswer = new Promise((resolve) => (this.settleFirstAnswer = resolve));
    this.firstAnswerTimer = clock.setTimeout(this.settleFirstAnswer, firstAnswerWaitMs);
  }

  /** `fresh`: the first message of a new stream, which carries the whole state rather than a change. */
  applyUpdate(update: Update, fresh: boolean): void {
    if (fresh) this.byKey.clear();
    switch (update.update) {
      case 'add':
        // After no_endpoints or not_in_cluster, an add starts a new set.
        if (this.state !== 'known' || this.direct) this.byKey.clear();
        this.direct = false;
        for (const addr of update.add!.addrs) {
          const endpoint = fromWeightedAddr(addr);
          this.byKey.set(endpoint.key, endpoint);
        }
        this.state = 'known';
        break;
      case 'remove':
        for (const addr of update.remove!.addrs) this.byKey.delete(formatHostPort({ host: addr.ip, port: addr.port }));
        this.state = 'known';
        break;
      case 'noEndpoints':
        this.byKey.clear();
        this.direct = false;
        this.state = update.noEndpoints!.exists ? 'known' : 'unknown';
        break;
      case 'notInCluster': {
        this.byKey.clear();
        const direct = directEndpoint(update.notInCluster!);
        this.byKey.set(direct.key, direct);
        this.direct = true;
        this.state = 'known';
        break;
      }
      default:
        return;
    }
    this.service.endpoints = [...this.byKey.values()];
    this.answered();
  }

  applyProfile(profile: DestinationProfile): void {
    const retry = profile.retry;
    this.service.policy = {
      retry: retry
        ? {
            http: retry.http || undefined,
            grpc: retry.grpc || undefined,
            limit: retry.limit,
            timeoutMs: retry.timeoutMs || undefined,
          }
        : undefined,
      timeoutMs: profile.timeoutMs || undefined,
    };
  }

  /** The controller refused the authority (malformed): treat it as unknown for as long as it is asked. */
  refuse(): void {
    this.byKey.clear();
    this.service.endpoints = [];
    this.state = 'unknown';
    this.answered();
  }

  close(): void {
    this.answered();
  }

  private answered(): void {
    this.clock.clearTimeout(this.firstAnswerTimer);
    this.settleFirstAnswer();
  }
}

function fromWeightedAddr(addr: WeightedAddr): Endpoint {
  const hostPort: HostPort = { host: addr.addr.ip, port: addr.addr.port };
  return {
    addr: hostPort,
    key: formatHostPort(hostPort),
    identity: addr.identity || undefined,
    protocolHint: addr.protocolHint === 'h2' ? 'h2' : undefined,
    labels: addr.metricLabels,
  };
}

/** Not in the cluster: one endpoint, the named host itself, reached without mTLS or the h2 upgrade. */
function directEndpoint(target: { host: string; port: number }): Endpoint {
  const addr = { host: target.host, port: target.port };
  return { addr, key: formatHostPort(addr), labels: {} };
}
