// Supplied certificates are refused with the reason unless they chain, are within their validity and are
// ECDSA P-256; the webhook's caBundle comes from the chain its file holds.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { createIssuer, createTrustAnchor, loadAuthority } from '../../../../certs';
import { injectorServingCertificate } from '../../../../injector/serving-certificate';
import { installCertificates, SuppliedCertificates } from '../../../../cli/install/certificates';

const DAY = 86_400_000;
const anchor = createTrustAnchor();
const issuer = createIssuer({ anchor: loadAuthority(anchor) });
const webhook = injectorServingCertificate();
const pem = (text: string, source: string) => ({ text, source });
const supplied = (over: Partial<SuppliedCertificates> = {}): SuppliedCertificates => ({
  trustAnchors: pem(anchor.certPem, 'anchors'),
  issuer: { cert: pem(issuer.certPem, 'issuer.crt'), key: pem(issuer.keyPem, 'issuer.key') },
  webhook: { cert: pem(webhook.certPem + webhook.caPem, 'webhook.crt'), key: pem(webhook.keyPem, 'webhook.key') },
  ...over,
});
const choose = (s: SuppliedCertificates, externalIssuer = false) => installCertificates({ supplied: s, externalIssuer, trustDomain: 'cluster.local' });
const refused = (t: Test, s: SuppliedCertificates, pattern: RegExp, externalIssuer = false) =>
  t.throws(() => choose(s, externalIssuer), { name: 'CertificateRefusedError', message: pattern });

t.test('supplied certificates are carried as given; the caBundle is the CA ending the webhook chain', async (t) => {
  const certs = choose(supplied());
  t.equal(certs.trustAnchorsPem, anchor.certPem);
  t.same(certs.issuer, issuer);
  t.equal(certs.webhook.caPem, webhook.caPem);
  t.equal(certs.webhook.certPem, webhook.certPem + webhook.caPem);
  t.equal(choose(supplied({ webhook: { cert: pem(webhook.certPem, 'w'), key: pem(webhook.keyPem, 'k'), ca: pem(webhook.caPem, 'ca') } })).webhook.caPem, webhook.caPem, 'or the CA given apart');
  t.equal(choose(supplied({ issuer: undefined }), true).issuer, undefined, 'an external issuer: anchors and webhook only');
});

t.test('none supplied: generated, the issuer signed by the new anchor', async (t) => {
  const certs = choose({});
  t.ok(certs.issuer);
  t.doesNotThrow(() => choose(supplied({ trustAnchors: pem(certs.trustAnchorsPem, 'a'), issuer: { cert: pem(certs.issuer!.certPem, 'c'), key: pem(certs.issuer!.keyPem, 'k') } })));
});

t.test('refused: does not chain', async (t) => {
  const stranger = createTrustAnchor();
  refused(t, supplied({ trustAnchors: pem(stranger.certPem, 'anchors') }), /^issuer\.crt: CN=identity\.weft\.cluster\.local is not signed by any of the trust anchors/);
  refused(t, supplied({ webhook: { cert: pem(webhook.certPem, 'webhook.crt'), key: pem(webhook.keyPem, 'webhook.key') } }), /^webhook\.crt: does not chain to a CA: .* which the file does not hold/);
  const other = injectorServingCertificate();
  refused(t, supplied({ webhook: { cert: pem(webhook.certPem + other.caPem, 'webhook.crt'), key: pem(webhook.keyPem, 'k') } }), /^webhook\.crt: no trust anchor or intermediate in the chain signed CN=weft-proxy-injector\.weft\.svc/);
  refused(t, supplied({ issuer: { cert: pem(issuer.certPem, 'issuer.crt'), key: pem(createIssuer({ anchor: loadAuthority(anchor) }).keyPem, 'issuer.key') } }), /^issuer\.key: the private key does not belong to the certificate/);
  refused(t, supplied({ webhook: { cert: pem(webhook.certPem + webhook.caPem, 'w'), key: pem(other.keyPem, 'webhook.key') } }), /^webhook\.key: is not the key of CN=weft-proxy-injector\.weft\.svc/);
});

t.test('refused: expired or not yet valid', async (t) => {
  const old = createTrustAnchor({ now: Date.now() - 20 * DAY, validityMs: 10 * DAY });
  refused(t, supplied({ trustAnchors: pem(old.certPem, 'anchors') }), /^anchors: CN=root\.weft\.cluster\.local expired at \d{4}-/);
  const oldIssuer = createIssuer({ anchor: loadAuthority(anchor), now: Date.now() - 20 * DAY, validityMs: 10 * DAY });
  refused(t, supplied({ issuer: { cert: pem(oldIssuer.certPem, 'issuer.crt'), key: pem(oldIssuer.keyPem, 'k') } }), /^issuer\.crt: CN=identity\.weft\.cluster\.local expired at/);
  const oldWebhook = injectorServingCertificate({ now: Date.now() - 20 * DAY, validityMs: 10 * DAY });
  refused(t, supplied({ webhook: { cert: pem(oldWebhook.certPem + oldWebhook.caPem, 'webhook.crt'), key: pem(oldWebhook.keyPem, 'k') } }), /^webhook\.crt: CN=weft-proxy-injector\.weft\.svc expired at/);
  const future = createTrustAnchor({ now: Date.now() + 5 * DAY });
  refused(t, supplied({ trustAnchors: pem(future.certPem, 'anchors') }), /^anchors: CN=root\.weft\.cluster\.local is not valid before/);
});

t.test('refused: not ECDSA P-256 (keys and certificates openssl made)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-certs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rsa.key', '-out', 'rsa.crt', '-days', '30', '-subj', '/CN=rsa-root', '-addext', 'basicConstraints=critical,CA:TRUE');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-nodes', '-keyout', 'p384.key', '-out', 'p384.crt', '-days', '30', '-subj', '/CN=p384-root', '-addext', 'basicConstraints=critical,CA:TRUE');
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  refused(t, supplied({ trustAnchors: pem(read('rsa.crt'), 'anchors') }), /^anchors: CN=rsa-root has a RSA 2048-bit key; weft uses ECDSA P-256 \(prime256v1\) only/);
  refused(t, supplied({ trustAnchors: pem(read('p384.crt'), 'anchors') }), /^anchors: CN=p384-root has a EC secp384r1 key; weft uses ECDSA P-256/);
  refused(t, supplied({ webhook: { cert: pem(webhook.certPem + webhook.caPem, 'w'), key: pem(read('rsa.key'), 'webhook.key') } }), /^webhook\.key: is RSA 2048-bit; weft uses ECDSA P-256/);
});

t.test('refused: incomplete or contradictory sets', async (t) => {
  refused(t, { trustAnchors: pem(anchor.certPem, 'a') }, /give the trust anchors together with the issuer certificate and key/);
  refused(t, { issuer: supplied().issuer }, /give the trust anchors together with the issuer/);
  refused(t, { issuer: supplied().issuer, trustAnchors: supplied().trustAnchors }, /an external issuer owns the issuer Secret/, true);
  refused(t, {}, /an external issuer needs the trust anchors/, true);
  refused(t, supplied({ trustAnchors: pem('not a certificate', 'anchors') }), /^anchors: holds no PEM certificate/);
  refused(t, supplied({ trustAnchors: pem(webhook.certPem, 'anchors') }), /^anchors: CN=weft-proxy-injector\.weft\.svc is not a CA certificate/);
  const elsewhere = createTrustAnchor({ trustDomain: 'example.org' });
  refused(t, supplied({ trustAnchors: pem(elsewhere.certPem, 'anchors') }), /is for trust domain example\.org, not cluster\.local: pass --set trustDomain=example\.org/);
});
