// Renewal of the proxy's certificate, driven by a test clock and a fake identity service: first request at
// start, renewal at 70 % of the lifetime, doubling backoff on failure while the old certificate serves.
import t from 'tap';
import { createIssuer, createTrustAnchor, issueLeafForCsr, loadAuthority, parseCsr } from '../../../../certs';
import { identityName } from '../../../../common/contract';
import { createLogger } from '../../../../common/log';
import { LocalIdentity, MIN_RETRY_MS } from '../../../../proxy/identity/local-identity';
import { createIdentityMetrics } from '../../../../proxy/metrics/identity';
import { Registry } from 'prom-client';
import { waitFor } from '../../../fixtures/http-client';

const NAME = identityName('web', 'test');
const LIFETIME_MS = 100_000;

class TestClock {
  now0 = Date.now();
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now = () => this.now0;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.now0 + ms, fn, id });
    return id as unknown as NodeJS.Timeout;
  };
  clearTimeout = (timer: NodeJS.Timeout) => {
    this.timers = this.timers.filter((x) => x.id !== (timer as unknown as number));
  };
  /** When the next timer is due, relative to now. */
  nextDelay(): number | undefined {
    const next = this.timers.sort((a, b) => a.at - b.at)[0];
    return next && next.at - this.now0;
  }
  /** Moves to the next timer and runs it. */
  fire(): void {
    const next = this.timers.sort((a, b) => a.at - b.at).shift()!;
    this.now0 = next.at;
    next.fn();
  }
}

t.test('renews at 70 % of the lifetime and backs off while keeping the old certificate', async (t) => {
  const anchor = createTrustAnchor();
  const issuer = loadAuthority(createIssuer({ anchor: loadAuthority(anchor) }));
  const clock = new TestClock();
  let failing = false;
  let calls = 0;
  const client = {
    address: 'identity.test:8080',
    close: () => {},
    certify: async (call: { csrDer: Buffer }) => {
      calls++;
      if (failing) throw new Error('the identity service at identity.test:8080 answered UNAVAILABLE: down');
      const csr = parseCsr(call.csrDer);
      return issueLeafForCsr({ issuer, csr, identity: { serviceAccount: 'web', namespace: 'test' }, lifetimeMs: LIFETIME_MS, now: clock.now() }).chainPem;
    },
  };
  const registry = new Registry();
  const identity = new LocalIdentity({
    name: NAME,
    trustAnchorsPem: anchor.certPem,
    client,
    clock,
    log: createLogger('test', 'silent', 'json'),
    metrics: createIdentityMetrics(registry),
  });
  t.teardown(() => identity.close());
  // Each refresh ends by scheduling the next one: wait for that (key generation is slow on a loaded machine).
  const settle = async () => {
    for (const deadline = Date.now() + 10_000; clock.nextDelay() === undefined && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  t.match(identity.notReadyReason(), /no identity certificate for .* yet/);
  identity.start();
  await settle();
  t.ok(identity.current(), 'holds a certificate after the first request');
  t.equal(identity.notReadyReason(), undefined);
  const first = identity.current()!;
  const renewIn = clock.nextDelay()!;
  t.ok(Math.abs(renewIn - 0.7 * (first.notAfter - clock.now())) < 1000, `renewal scheduled at 70 % (${renewIn} ms)`);

  failing = true;
  clock.fire();
  await settle();
  t.equal(identity.current(), first, 'a failed renewal keeps the old certificate');
  t.equal(clock.nextDelay(), MIN_RETRY_MS, 'first retry after the minimum backoff');
  clock.fire();
  await settle();
  t.equal(clock.nextDelay(), 2 * MIN_RETRY_MS, 'then twice as long');
  t.match((await registry.getSingleMetricAsString('identity_cert_refresh_total')), /result="failure"} 2/);

  failing = false;
  clock.fire();
  await settle();
  t.not(identity.current(), first, 'a new certificate once the service answers again');
  t.equal(calls, 4);
  t.match((await registry.getSingleMetricAsString('identity_cert_expiration_timestamp_seconds')), new RegExp(` ${identity.current()!.notAfter / 1000}`));

  clock.now0 = identity.current()!.notAfter + 1;
  t.equal(identity.current(), undefined, 'an expired certificate is not offered');
  t.match(identity.notReadyReason(), /the identity certificate expired at/);
});

t.test('renewNow during a request asks once more after it, never twice at once, and keeps the newest answer', async (t) => {
  const anchor = createTrustAnchor();
  const oldIssuer = loadAuthority(createIssuer({ anchor: loadAuthority(anchor) }));
  const newIssuer = loadAuthority(createIssuer({ anchor: loadAuthority(anchor) }));
  let issuer = oldIssuer;
  let inFlight = 0;
  let mostAtOnce = 0;
  const pending: (() => void)[] = [];
  const client = {
    address: 'identity.test:8080',
    close: () => {},
    certify: async (call: { csrDer: Buffer }) => {
      inFlight++;
      mostAtOnce = Math.max(mostAtOnce, inFlight);
      const signer = issuer; // the issuer when the request arrived
      await new Promise<void>((resolve) => pending.push(resolve));
      inFlight--;
      return issueLeafForCsr({ issuer: signer, csr: parseCsr(call.csrDer), identity: { serviceAccount: 'web', namespace: 'test' }, lifetimeMs: LIFETIME_MS }).chainPem;
    },
  };
  const identity = new LocalIdentity({ name: NAME, trustAnchorsPem: anchor.certPem, client, clock: new TestClock(), log: createLogger('test', 'silent', 'json'), metrics: createIdentityMetrics(new Registry()) });
  t.teardown(() => identity.close());
  const answered = (n: number) => waitFor(`${n} request(s)`, () => pending.length >= n, 10_000, 5);

  identity.start();
  await answered(1);
  issuer = newIssuer;
  identity.renewNow();
  identity.renewNow();
  t.equal(pending.length, 1, 'no second request while one is in flight');
  pending.shift()!();
  await answered(1);
  t.equal(identity.current()?.chainPem.includes(oldIssuer.cert.pem), true, 'the first answer, from the old issuer, is in force');
  pending.shift()!();
  await waitFor('the second answer', () => identity.current()?.chainPem.includes(newIssuer.cert.pem) === true, 10_000, 5);
  t.equal(mostAtOnce, 1, 'one request at a time');
  t.equal(pending.length, 0, 'two renewals asked for during one request make one more request');
});
