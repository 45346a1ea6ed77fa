import t from 'tap';
import { identityName } from '../../../common/contract';
import { CertificateInputError, certificateExpiry, generateKeyPair, issueLeaf, summarizeCertificates } from '../../../certs';
import { createTestCa } from './helpers';

const WEB = { serviceAccount: 'web', namespace: 'demo' };

t.test('a chain file reads as one summary per certificate, in file order', async (t) => {
  const now = Date.UTC(2030, 5, 1);
  const ca = createTestCa(now);
  const leaf = issueLeaf({ issuer: ca.issuerAuthority, publicKeyPem: generateKeyPair().publicKeyPem, identity: WEB, now });
  const [first, second, third] = summarizeCertificates(leaf.chainPem + ca.anchor.certPem, now);
  t.match(first, {
    subject: `CN=${identityName('web', 'demo')}`,
    issuer: 'CN=identity.weft.cluster.local',
    dnsNames: [identityName('web', 'demo')],
    uris: ['spiffe://cluster.local/ns/demo/sa/web'],
    isCA: false,
    notBefore: '2030-05-31T23:59:40.000Z',
    notAfter: '2030-06-02T00:00:00.000Z',
    secondsLeft: 86_400,
    daysLeft: 1,
  });
  t.match(second, { subject: 'CN=identity.weft.cluster.local', isCA: true, daysLeft: 365, uris: ['spiffe://cluster.local'] });
  t.match(third, { subject: 'CN=root.weft.cluster.local', issuer: 'CN=root.weft.cluster.local', daysLeft: 3650 });
});

t.test('expiry reports notAfter and seconds left, negative once past', async (t) => {
  const now = Date.UTC(2030, 5, 1);
  const ca = createTestCa(now);
  const leaf = issueLeaf({ issuer: ca.issuerAuthority, publicKeyPem: generateKeyPair().publicKeyPem, identity: WEB, now });
  const expiry = certificateExpiry(leaf.chainPem, now + 3_600_000);
  t.equal(expiry.notAfter.toISOString(), '2030-06-02T00:00:00.000Z');
  t.equal(expiry.secondsLeft, 23 * 3600);
  t.equal(expiry.notAfter.getTime(), leaf.notAfter);
  t.equal(certificateExpiry(leaf.certPem, now + 25 * 3_600_000).secondsLeft, -3600);
});

t.test('text without certificates is an input error', async (t) => {
  t.throws(() => summarizeCertificates('hello'), CertificateInputError);
  t.throws(() => summarizeCertificates(generateKeyPair().privateKeyPem), /no PEM certificate/);
  t.throws(() => summarizeCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), CertificateInputError);
});
