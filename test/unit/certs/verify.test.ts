import t from 'tap';
import { identityName } from '../../../common/contract';
import { generateKeyPair, issueLeaf, verifyChain, VerifyResult } from '../../../certs';
import { createTestCa, TestCa } from './helpers';

const WEB = { serviceAccount: 'web', namespace: 'demo' };
const WEB_NAME = identityName('web', 'demo');
const HOUR = 3_600_000;

const leafChain = (ca: TestCa, now?: number): string =>
  issueLeaf({ issuer: ca.issuerAuthority, publicKeyPem: generateKeyPair().publicKeyPem, identity: WEB, now }).chainPem;

function reasonOf(result: VerifyResult): string {
  return result.ok ? 'accepted' : result.reason;
}

t.test('a leaf from our issuer verifies against our anchor, for its name', async (t) => {
  const ca = createTestCa();
  const result = verifyChain({ chainPem: leafChain(ca), anchorsPem: ca.anchor.certPem, name: WEB_NAME });
  t.equal(result.ok, true, reasonOf(result));
  if (!result.ok) return;
  t.same(
    result.path.map((c) => c.commonName),
    [WEB_NAME, 'identity.weft.cluster.local', 'root.weft.cluster.local'],
  );
  t.equal(verifyChain({ chainPem: leafChain(ca), anchorsPem: ca.anchor.certPem }).ok, true, 'without a name');
});

t.test("another CA's leaf is refused", async (t) => {
  const ours = createTestCa();
  const theirs = createTestCa();
  const result = verifyChain({ chainPem: leafChain(theirs), anchorsPem: ours.anchor.certPem, name: WEB_NAME });
  t.match(reasonOf(result), /no trust anchor or intermediate in the chain signed CN=identity\.weft/);
});

t.test('several anchors: any one of them may close the path', async (t) => {
  const ours = createTestCa();
  const next = createTestCa(); // e.g. during anchor rotation both are trusted
  const bundle = next.anchor.certPem + ours.anchor.certPem;
  t.equal(verifyChain({ chainPem: leafChain(ours), anchorsPem: bundle }).ok, true);
  t.equal(verifyChain({ chainPem: leafChain(next), anchorsPem: bundle }).ok, true);
});

t.test('an expired or not yet valid leaf is refused at the given time', async (t) => {
  const now = Date.now();
  const ca = createTestCa(now);
  const chainPem = leafChain(ca, now);
  const anchorsPem = ca.anchor.certPem;
  t.equal(verifyChain({ chainPem, anchorsPem, now: now + 23 * HOUR }).ok, true, 'inside its 24 h');
  t.match(reasonOf(verifyChain({ chainPem, anchorsPem, now: now + 25 * HOUR })), /CN=web\.demo\..* expired at/);
  t.match(reasonOf(verifyChain({ chainPem, anchorsPem, now: now - HOUR })), /is not valid before/);
  t.equal(verifyChain({ chainPem, anchorsPem, now: now - 10_000 }).ok, true, 'clock skew allowed');
});

t.test('a leaf for another name is refused', async (t) => {
  const ca = createTestCa();
  const result = verifyChain({ chainPem: leafChain(ca), anchorsPem: ca.anchor.certPem, name: identityName('db', 'demo') });
  t.match(reasonOf(result), `the certificate is for ${WEB_NAME}, not ${identityName('db', 'demo')}`);
});

t.test('a chain without its issuer, or a CA posing as a leaf, is refused', async (t) => {
  const ca = createTestCa();
  const leafOnly = issueLeaf({ issuer: ca.issuerAuthority, publicKeyPem: generateKeyPair().publicKeyPem, identity: WEB }).certPem;
  t.match(reasonOf(verifyChain({ chainPem: leafOnly, anchorsPem: ca.anchor.certPem })), /no trust anchor or intermediate/);
  t.match(reasonOf(verifyChain({ chainPem: ca.issuer.certPem, anchorsPem: ca.anchor.certPem })), /is a CA certificate/);
  t.match(reasonOf(verifyChain({ chainPem: '', anchorsPem: ca.anchor.certPem })), /holds no PEM certificate/);
  t.match(reasonOf(verifyChain({ chainPem: leafOnly, anchorsPem: '' })), /no trust anchor given/);
});
