// The demo's PKI: files the controller accepts as they are, private ones readable by the owner only, and
// tokens that the controller's secret verifies for the workload they were written for.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { createDemoPki } from '../../../cli/demo/pki';
import { Clock, systemClock } from '../../../common/clock';
import { ANCHOR_FILES, ISSUER_FILES } from '../../../common/contract';
import { createLogger } from '../../../common/log';
import { IssuerDir } from '../../../controller/identity/issuer-dir';
import { LocalTokenAuthority } from '../../../controller/identity/local-token-authority';

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

t.test('createDemoPki writes an anchor, an issuer the controller loads, and a 32-byte secret; keys 0600', async (t) => {
  const dir = path.join(t.testdir(), 'pki');
  const pki = await createDemoPki(dir);

  t.equal(pki.trustAnchorsFile, path.join(dir, ANCHOR_FILES.cert));
  t.equal(fs.readFileSync(pki.trustAnchorsFile, 'utf8'), pki.trustAnchorsPem, 'the anchor file holds the PEM proxies are given');
  for (const key of [ANCHOR_FILES.key, ISSUER_FILES.key]) t.equal(modeOf(path.join(dir, key)), 0o600, `${key} is 0600`);
  t.equal(modeOf(pki.tokenSecretFile), 0o600, 'the token secret is 0600');
  t.equal(fs.readFileSync(pki.tokenSecretFile).length, 32, 'the secret is 32 bytes');

  // What `weft-controller --issuer-dir --trust-anchors` does with them: load the issuer and check its chain.
  const issuerDir = new IssuerDir(pki.issuerDir, fs.readFileSync(pki.trustAnchorsFile, 'utf8'), createLogger('test', 'silent', 'json'));
  t.teardown(() => issuerDir.close());
  t.match(issuerDir.issuer().cert.subject, /identity\.weft\.cluster\.local/, 'the issuer loads and chains to the anchor');
});

t.test('writeToken writes a 0600 token that the secret file verifies for that service account', async (t) => {
  const pki = await createDemoPki(path.join(t.testdir(), 'pki'));
  const tokenFile = await pki.writeToken('books', 'demo');
  t.equal(modeOf(tokenFile), 0o600, 'the token is 0600');
  const reviewer = new LocalTokenAuthority(fs.readFileSync(pki.tokenSecretFile));
  t.same(await reviewer.review(fs.readFileSync(tokenFile, 'utf8')), { authenticated: true, serviceAccount: 'books', namespace: 'demo' });
  const aMonthLater: Clock = { ...systemClock, now: () => Date.now() + 30 * 24 * 3_600_000 };
  const later = new LocalTokenAuthority(fs.readFileSync(pki.tokenSecretFile), aMonthLater);
  t.match(await later.review(fs.readFileSync(tokenFile, 'utf8')), { authenticated: true }, 'still valid a month later: renewals keep working');
  const stranger = new LocalTokenAuthority();
  t.match(await stranger.review(fs.readFileSync(tokenFile, 'utf8')), { authenticated: false }, 'another secret refuses it');
});
