import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import * as tls from 'node:tls';
import { once } from 'node:events';
import { AddressInfo } from 'node:net';
import { CLOCK_SKEW_MS, identityName, LEAF_LIFETIME_MS } from '../../../common/contract';
import {
  ANCHOR_VALIDITY_MS,
  CertificateInputError,
  createIssuer,
  createTrustAnchor,
  generateKeyPair,
  issueLeaf,
  ISSUER_VALIDITY_MS,
  IssuerExpiredError,
  loadAuthority,
  parseCertificates,
  WorkloadIdentity,
} from '../../../certs';
import { createTestCa, openssl, TestCa, writeFiles } from './helpers';

const WEB = { serviceAccount: 'web', namespace: 'demo' };
const WEB_NAME = identityName('web', 'demo');

function leafFor(ca: TestCa, identity: WorkloadIdentity = WEB, now?: number) {
  const keys = generateKeyPair();
  return { keys, ...issueLeaf({ issuer: ca.issuerAuthority, publicKeyPem: keys.publicKeyPem, identity, now }) };
}

t.test('openssl verifies anchor → issuer → leaf with -x509_strict', async (t) => {
  const ca = createTestCa();
  const leaf = leafFor(ca);
  const dir = writeFiles(t.testdir(), { 'ca.crt': ca.anchor.certPem, 'issuer.crt': ca.issuer.certPem, 'leaf.crt': leaf.certPem });
  const result = openssl(['verify', '-x509_strict', '-CAfile', 'ca.crt', '-untrusted', 'issuer.crt', 'leaf.crt'], dir);
  t.equal(result.status, 0, result.output);
  t.match(result.output, /leaf\.crt: OK/);
  t.equal(openssl(['verify', '-x509_strict', '-CAfile', 'ca.crt', 'issuer.crt'], dir).status, 0, 'issuer alone');
  const withoutIssuer = openssl(['verify', '-x509_strict', '-CAfile', 'ca.crt', 'leaf.crt'], dir);
  t.not(withoutIssuer.status, 0, 'the leaf needs its issuer: openssl can fail here');
});

t.test('openssl shows the leaf names, purposes and the CA constraints', async (t) => {
  const ca = createTestCa();
  const leaf = leafFor(ca);
  const dir = writeFiles(t.testdir(), { 'issuer.crt': ca.issuer.certPem, 'leaf.crt': leaf.certPem });
  const leafText = openssl(['x509', '-noout', '-text', '-in', 'leaf.crt'], dir).output;
  t.match(leafText, `DNS:${WEB_NAME}, URI:spiffe://cluster.local/ns/demo/sa/web`);
  t.match(leafText, 'TLS Web Server Authentication, TLS Web Client Authentication');
  t.match(leafText, `Subject: CN = ${WEB_NAME}`);
  t.match(leafText, 'Issuer: CN = identity.weft.cluster.local');
  t.match(leafText, /Basic Constraints: critical\s+CA:FALSE/);
  t.match(leafText, 'ecdsa-with-SHA256');
  const issuerText = openssl(['x509', '-noout', '-text', '-in', 'issuer.crt'], dir).output;
  t.match(issuerText, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  t.match(issuerText, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
  t.match(issuerText, 'URI:spiffe://cluster.local');
});

t.test('default lifetimes: anchor 87600h, issuer 8760h, leaf 24h, all backdated by the clock skew', async (t) => {
  const now = Date.UTC(2030, 0, 1, 12, 0, 0);
  const ca = createTestCa(now);
  const [anchor] = parseCertificates(ca.anchor.certPem);
  const [issuer] = parseCertificates(ca.issuer.certPem);
  const [leaf] = parseCertificates(leafFor(ca, WEB, now + 60_000).certPem);
  t.equal(ANCHOR_VALIDITY_MS, 87_600 * 3_600_000);
  t.equal(ISSUER_VALIDITY_MS, 8_760 * 3_600_000);
  t.same([anchor.notBefore, anchor.notAfter], [now - CLOCK_SKEW_MS, now + ANCHOR_VALIDITY_MS]);
  t.same([issuer.notBefore, issuer.notAfter], [now - CLOCK_SKEW_MS, now + ISSUER_VALIDITY_MS]);
  t.equal(leaf.notBefore, now + 60_000 - CLOCK_SKEW_MS);
  t.equal(leaf.notAfter, now + 60_000 + LEAF_LIFETIME_MS);
});

t.test('dates from 2050 on are GeneralizedTime and read back exactly', async (t) => {
  const now = Date.UTC(2049, 11, 31, 0, 0, 0);
  const anchor = createTrustAnchor({ now, validityMs: 48 * 3_600_000 });
  const [parsed] = parseCertificates(anchor.certPem);
  t.equal(parsed.notAfter, Date.UTC(2050, 0, 2, 0, 0, 0));
  const dir = writeFiles(t.testdir(), { 'ca.crt': anchor.certPem });
  t.match(openssl(['x509', '-noout', '-enddate', '-in', 'ca.crt'], dir).output, 'notAfter=Jan  2 00:00:00 2050 GMT');
});

t.test('an anchor made by openssl can sign our issuer, which openssl then verifies', async (t) => {
  const dir = t.testdir();
  const made = openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
      '-days', '30', '-subj', '/O=Example Corp/CN=Example Root', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  t.equal(made.status, 0, made.output);
  const anchor = loadAuthority({ certPem: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'), keyPem: fs.readFileSync(path.join(dir, 'ca.key'), 'utf8') });
  t.equal(anchor.cert.subject, 'O=Example Corp, CN=Example Root');
  const issuer = createIssuer({ anchor, validityMs: 365 * 24 * 3_600_000 });
  writeFiles(dir, { 'issuer.crt': issuer.certPem });
  const verified = openssl(['verify', '-x509_strict', '-CAfile', 'ca.crt', 'issuer.crt'], dir);
  t.equal(verified.status, 0, verified.output);
  t.equal(parseCertificates(issuer.certPem)[0].notAfter, anchor.cert.notAfter, 'an issuer never outlives its anchor');
});

t.test('a leaf never outlives its issuer', async (t) => {
  const now = Date.now();
  const ca = createTestCa(now);
  const late = now + ISSUER_VALIDITY_MS - 3_600_000; // one hour before the issuer expires
  const [leaf] = parseCertificates(leafFor(ca, WEB, late).certPem);
  t.equal(leaf.notAfter, ca.issuerAuthority.cert.notAfter);
});

t.test('the trust domain flows from the anchor to issuer and leaf', async (t) => {
  const ca = createTestCa(Date.now(), 'example.org');
  t.equal(ca.issuerAuthority.cert.commonName, 'identity.weft.example.org');
  const [leaf] = parseCertificates(leafFor(ca, { ...WEB, trustDomain: 'example.org' }).certPem);
  t.same(leaf.uris, ['spiffe://example.org/ns/demo/sa/web']);
  t.same(leaf.dnsNames, [identityName('web', 'demo', 'example.org')]);
});

t.test('an expired issuer signs nothing', async (t) => {
  const now = Date.now();
  const ca = createTestCa(now);
  t.throws(() => leafFor(ca, WEB, now + ISSUER_VALIDITY_MS + 1000), IssuerExpiredError);
  t.throws(() => leafFor(ca, WEB, now - 3_600_000), /is not valid before/, 'nor one not yet valid');
});

t.test('an authority must be a CA whose key matches its certificate', async (t) => {
  const ca = createTestCa();
  const other = createTrustAnchor();
  t.throws(() => loadAuthority({ certPem: ca.anchor.certPem, keyPem: other.keyPem }), CertificateInputError);
  const leaf = leafFor(ca);
  t.throws(() => loadAuthority({ certPem: leaf.certPem, keyPem: leaf.keys.privateKeyPem }), /not a CA/);
  t.throws(() => loadAuthority({ certPem: 'nothing here', keyPem: other.keyPem }), /no PEM certificate/);
});

t.test("node's TLS accepts the chain for mutual TLS, checking the server name", async (t) => {
  const ca = createTestCa();
  const server = leafFor(ca);
  const client = leafFor(ca, { serviceAccount: 'client', namespace: 'demo' });
  const listener = tls.createServer({
    key: server.keys.privateKeyPem,
    cert: server.chainPem,
    ca: ca.anchor.certPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  });
  const peerNames: string[] = [];
  listener.on('secureConnection', (socket) => {
    peerNames.push(String(socket.getPeerCertificate().subject.CN));
    socket.end('hello');
  });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  t.teardown(() => listener.close());
  const { port } = listener.address() as AddressInfo;
  const connect = (servername: string) =>
    tls.connect({ host: '127.0.0.1', port, servername, key: client.keys.privateKeyPem, cert: client.chainPem, ca: ca.anchor.certPem });
  const socket = connect(WEB_NAME);
  const [data] = await once(socket, 'data');
  t.equal(String(data), 'hello');
  socket.destroy();
  t.same(peerNames, [identityName('client', 'demo')]);
  const wrong = connect(identityName('other', 'demo'));
  const [err] = await once(wrong, 'error');
  t.match((err as NodeJS.ErrnoException).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  wrong.destroy();
});
