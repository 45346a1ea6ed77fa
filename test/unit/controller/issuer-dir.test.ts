// --issuer-dir in both layouts, and a mounted Secret's update (the `..data` symlink swap) followed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { Authority, createIssuer, createTrustAnchor, loadAuthority, parseCertificates } from '../../../certs';
import { createLogger } from '../../../common/log';
import { IssuerDir } from '../../../controller/identity/issuer-dir';
import { waitFor } from '../../fixtures/http-client';
import { writeMountedSecret } from '../../fixtures/mounted-secret';

const log = createLogger('test', 'silent', 'json');
const anchor = createTrustAnchor();
const issuerOf = (a = anchor) => createIssuer({ anchor: loadAuthority(a) });
const serial = (pem: string) => parseCertificates(pem)[0].serialNumber;

t.test('issuer.crt + issuer.key, as weft certs writes them', async (t) => {
  const issuer = issuerOf();
  const dir = t.testdir({ 'issuer.crt': issuer.certPem, 'issuer.key': issuer.keyPem });
  const issuerDir = new IssuerDir(dir, anchor.certPem, log);
  t.teardown(() => issuerDir.close());
  t.equal(issuerDir.issuer().cert.serialNumber, serial(issuer.certPem));
});

t.test('a mounted kubernetes.io/tls Secret, followed through its ..data symlink swaps', async (t) => {
  const dir = t.testdir();
  const first = issuerOf();
  writeMountedSecret(dir, { 'tls.crt': first.certPem, 'tls.key': first.keyPem, 'ca.crt': anchor.certPem });
  t.ok(fs.lstatSync(path.join(dir, 'tls.crt')).isSymbolicLink(), 'tls.crt is a symlink into ..data, as the kubelet mounts it');
  const issuerDir = new IssuerDir(dir, anchor.certPem, log);
  t.teardown(() => issuerDir.close());
  const changes: Authority[] = [];
  issuerDir.onChange((issuer) => changes.push(issuer));
  t.equal(issuerDir.issuer().cert.serialNumber, serial(first.certPem));

  const second = issuerOf();
  const linkBefore = fs.readlinkSync(path.join(dir, 'tls.crt'));
  writeMountedSecret(dir, { 'tls.crt': second.certPem, 'tls.key': second.keyPem, 'ca.crt': anchor.certPem });
  t.equal(fs.readlinkSync(path.join(dir, 'tls.crt')), linkBefore, 'the visible file itself was not touched');
  await waitFor('the new issuer to be loaded', () => issuerDir.issuer().cert.serialNumber === serial(second.certPem), 10_000);
  t.same(changes.map((c) => c.cert.serialNumber), [serial(second.certPem)], 'listeners hear of it once');

  const foreign = issuerOf(createTrustAnchor());
  writeMountedSecret(dir, { 'tls.crt': foreign.certPem, 'tls.key': foreign.keyPem, 'ca.crt': anchor.certPem });
  const third = issuerOf();
  // Give the foreign one time to be looked at, then a good one: only the good one may take over.
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(issuerDir.issuer().cert.serialNumber, serial(second.certPem), 'an issuer not signed by the anchors is refused; the last good one stays');
  writeMountedSecret(dir, { 'tls.crt': third.certPem, 'tls.key': third.keyPem, 'ca.crt': anchor.certPem });
  await waitFor('the next good issuer', () => issuerDir.issuer().cert.serialNumber === serial(third.certPem), 10_000);
  t.same(changes.map((c) => c.cert.serialNumber), [serial(second.certPem), serial(third.certPem)]);
});

t.test('both layouts at once, or neither, is refused with what to do', async (t) => {
  const issuer = issuerOf();
  const both = t.testdir({ 'issuer.crt': issuer.certPem, 'issuer.key': issuer.keyPem, 'tls.crt': issuer.certPem, 'tls.key': issuer.keyPem });
  t.throws(() => new IssuerDir(both, anchor.certPem, log), /holds both issuer\.crt and tls\.crt: keep one issuer there/);
  t.throws(() => new IssuerDir(t.testdir(), anchor.certPem, log), /cannot read .*issuer\.crt \(ENOENT\); create issuer\.crt \+ issuer\.key with `weft certs issuer --out .*`, or mount the issuer Secret \(tls\.crt \+ tls\.key\) there/);
});
