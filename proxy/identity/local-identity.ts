// The proxy's own identity: a P-256 key made here and kept in memory only (never written, never sent), a
// CSR for the configured name, and a certificate from the identity service, renewed at 70 % of its
// lifetime. A failed renewal is retried with backoff while the old certificate keeps serving.
import { createCsr, generateKeyPair } from '../../certs';
import { PEM_LABEL, pemBlocks } from '../../certs/pem';
import type { Clock } from '../../common/clock';
import { RENEW_AT_FRACTION } from '../../common/contract';
import { formatDuration } from '../../common/duration';
import type { Logger } from '../../common/log';
import type { CertificateSource } from './certify-client';
import { Credentials, credentialsFrom } from './credentials';

export const MIN_RETRY_MS = 500;
export const MAX_RETRY_MS = 30_000;
const CERTIFY_TIMEOUT_MS = 10_000;

export interface LocalIdentityOptions {
  name: string;
  trustAnchorsPem: string;
  client: CertificateSource;
  clock: Clock;
  log: Logger;
  metrics: CertificateMetrics;
}

/** What is recorded about the certificate: the proxy's metrics (proxy/metrics/identity.ts) or a controller role's. */
export interface CertificateMetrics {
  expiration: { set(seconds: number): void };
  refreshes: { inc(labels: { result: 'success' | 'failure' }): void };
}

export class LocalIdentity {
  readonly name: string;
  readonly trustAnchorsPem: string;
  private readonly key = generateKeyPair();
  private readonly csrDer: Buffer;
  private credentials?: Credentials;
  private lastError?: string;
  private retryMs = MIN_RETRY_MS;
  private timer?: NodeJS.Timeout;
  /** One request at a time; a renewal asked for meanwhile follows it, so the newest answer is the one kept. */
  private request: 'idle' | 'in-flight' | 'in-flight-then-again' = 'idle';
  private closed = false;
  private readonly listeners: ((c: Credentials) => void)[] = [];

  constructor(private readonly options: LocalIdentityOptions) {
    this.name = options.name;
    this.trustAnchorsPem = options.trustAnchorsPem;
    // The key never changes while the process lives, so neither does the request for it.
    this.csrDer = pemBlocks(createCsr(options.name, this.key.privateKeyPem), PEM_LABEL.csr)[0];
  }

  /** Asks for the first certificate now; every later renewal schedules itself. */
  start(): void {
    this.renewNow();
  }

  /** The certificate in force, or undefined before the first one arrives or once it has expired. */
  current(): Credentials | undefined {
    const c = this.credentials;
    return c && this.options.clock.now() < c.notAfter ? c : undefined;
  }

  /** Called with every new certificate (the inbound TLS server swaps its context). */
  onChange(fn: (c: Credentials) => void): void {
    this.listeners.push(fn);
  }

  /** Asks for a new certificate now, e.g. because the issuer changed; the renewal schedule restarts from it. */
  renewNow(): void {
    if (this.closed) return;
    if (this.request !== 'idle') {
      this.request = 'in-flight-then-again';
      return;
    }
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    this.request = 'in-flight';
    void this.refresh().finally(() => {
      const again = this.request === 'in-flight-then-again';
      this.request = 'idle';
      if (again) this.renewNow();
    });
  }

  /** Why the proxy cannot do mTLS now, for /ready; undefined while it holds a valid certificate. */
  notReadyReason(): string | undefined {
    if (this.current()) return undefined;
    const why = this.lastError ?? `waiting for the identity service at ${this.options.client.address}`;
    if (!this.credentials) return `no identity certificate for ${this.name} yet: ${why}`;
    return `the identity certificate expired at ${new Date(this.credentials.notAfter).toISOString()}: ${why}`;
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    this.options.client.close();
  }

  private async refresh(): Promise<void> {
    const { clock, log, metrics } = this.options;
    try {
      const chainPem = await this.options.client.certify({ identity: this.name, csrDer: this.csrDer }, CERTIFY_TIMEOUT_MS);
      const issuedAt = clock.now();
      const credentials = credentialsFrom(this.name, this.key.privateKeyPem, this.key.publicKeyPem, chainPem, this.trustAnchorsPem, issuedAt);
      if (this.closed) return;
      this.credentials = credentials;
      this.lastError = undefined;
      this.retryMs = MIN_RETRY_MS;
      metrics.expiration.set(credentials.notAfter / 1000);
      metrics.refreshes.inc({ result: 'success' });
      for (const listener of this.listeners) listener(credentials);
      const renewInMs = Math.max(0, Math.floor((credentials.notAfter - issuedAt) * RENEW_AT_FRACTION));
      log.info({ identity: this.name, notAfter: new Date(credentials.notAfter).toISOString(), renewIn: roughly(renewInMs) }, 'identity certificate obtained');
      this.schedule(renewInMs);
    } catch (err) {
      if (this.closed) return;
      metrics.refreshes.inc({ result: 'failure' });
      const retryInMs = this.nextRetryMs();
      this.lastError = `${(err as Error).message}; retrying in ${roughly(retryInMs)}`;
      const holding = this.current() ? 'keeping the current certificate meanwhile' : 'no certificate yet, so mTLS is unavailable';
      log.warn({ identity: this.name, identityService: this.options.client.address, error: (err as Error).message, retryIn: roughly(retryInMs) }, `identity certificate request failed; ${holding}`);
      this.schedule(retryInMs);
    }
  }

  /** Doubling backoff; while a certificate is held, never so long that it would expire before the next try. */
  private nextRetryMs(): number {
    let delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    const held = this.current();
    if (held) delay = Math.min(delay, Math.max(MIN_RETRY_MS, (held.notAfter - this.options.clock.now()) / 4));
    return Math.round(delay);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = this.options.clock.setTimeout(() => this.renewNow(), ms);
  }
}

/** A delay for people to read: whole seconds from one second up. */
const roughly = (ms: number): string => formatDuration(ms >= 1000 ? Math.round(ms / 1000) * 1000 : ms);
