import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { identityName } from '../../../common/contract';
import {
  CertificateInputError,
  createCsr,
  generateKeyPair,
  issueLeafForCsr,
  namesBeyond,
  parseCertificates,
  parseCsr,
} from '../../../certs';
import { children, decode, encode, sequence, signed, smallInteger } from '../../../certs/asn1';
import { loadPrivateKey } from '../../../certs/keys';
import { PEM_LABEL, pemBlocks, toPem } from '../../../certs/pem';
import { createTestCa, openssl, writeFiles } from './helpers';

const WEB = { serviceAccount: 'web', namespace: 'demo' };
const WEB_NAME = identityName('web', 'demo');

t.test('openssl verifies our CSR and reads its name', async (t) => {
  const dir = writeFiles(t.testdir(), { 'csr.pem': createCsr(WEB_NAME, generateKeyPair().privateKeyPem) });
  const verified = openssl(['req', '-verify', '-noout', '-in', 'csr.pem'], dir);
  t.equal(verified.status, 0, verified.output);
  t.match(verified.output, /verify OK/);
  const text = openssl(['req', '-noout', '-text', '-in', 'csr.pem'], dir).output;
  t.match(text, `Subject: CN = ${WEB_NAME}`);
  t.match(text, `DNS:${WEB_NAME}`);
});

t.test('a parsed CSR reports its subject, names, key and a valid self-signature', async (t) => {
  const keys = generateKeyPair();
  const csr = parseCsr(createCsr(WEB_NAME, keys.privateKeyPem, { uris: ['spiffe://cluster.local/ns/demo/sa/web'] }));
  t.equal(csr.subject, `CN=${WEB_NAME}`);
  t.equal(csr.commonName, WEB_NAME);
  t.same(csr.dnsNames, [WEB_NAME]);
  t.same(csr.uris, ['spiffe://cluster.local/ns/demo/sa/web']);
  t.equal(csr.publicKeyPem, keys.publicKeyPem);
  t.equal(csr.signatureValid, true);
  t.same(parseCsr(pemBlocks(createCsr(WEB_NAME, keys.privateKeyPem), PEM_LABEL.csr)[0]).dnsNames, [WEB_NAME], 'DER in');
});

t.test('a CSR made by openssl is read the same way', async (t) => {
  const dir = t.testdir();
  const made = openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem',
      '-subj', `/CN=${WEB_NAME}`, '-addext', `subjectAltName=DNS:${WEB_NAME},URI:spiffe://cluster.local/ns/demo/sa/web`,
      '-out', 'csr.pem'],
    dir,
  );
  t.equal(made.status, 0, made.output);
  const csr = parseCsr(fs.readFileSync(path.join(dir, 'csr.pem'), 'utf8'));
  t.equal(csr.signatureValid, true);
  t.same(csr.dnsNames, [WEB_NAME]);
  t.same(csr.uris, ['spiffe://cluster.local/ns/demo/sa/web']);
  t.same(namesBeyond(csr, [WEB_NAME, 'spiffe://cluster.local/ns/demo/sa/web']), []);
});

t.test('a CSR signed by another key than the one it carries proves nothing', async (t) => {
  const carried = generateKeyPair();
  const signer = generateKeyPair();
  // Re-sign the request info (which holds `carried`'s public key) with `signer`'s key.
  const honest = pemBlocks(createCsr(WEB_NAME, carried.privateKeyPem), PEM_LABEL.csr)[0];
  const [info] = children(decode(honest, 'csr'));
  const forgedPem = toPem(signed(info, loadPrivateKey(signer.privateKeyPem)), PEM_LABEL.csr);
  const csr = parseCsr(forgedPem);
  t.equal(csr.publicKeyPem, carried.publicKeyPem, 'it still names the carried key');
  t.equal(csr.signatureValid, false);
  const dir = writeFiles(t.testdir(), { 'csr.pem': forgedPem });
  // openssl 3.0 exits 0 even when this check fails, so read what it says.
  t.match(openssl(['req', '-verify', '-noout', '-in', 'csr.pem'], dir).output, /self-signature verify failure/, 'openssl agrees');
  const ca = createTestCa();
  t.throws(() => issueLeafForCsr({ issuer: ca.issuerAuthority, csr, identity: WEB }), CertificateInputError);
});

t.test('namesBeyond reports every name the CSR asks for that the issuer does not grant', async (t) => {
  const key = generateKeyPair().privateKeyPem;
  const greedy = parseCsr(createCsr(WEB_NAME, key, { dnsNames: ['admin.weft.cluster.local'], uris: ['spiffe://cluster.local/ns/weft/sa/admin'] }));
  t.same(namesBeyond(greedy, [WEB_NAME]), ['admin.weft.cluster.local', 'spiffe://cluster.local/ns/weft/sa/admin']);
  t.same(namesBeyond(parseCsr(createCsr(WEB_NAME, key)), [WEB_NAME]), []);
  t.same(namesBeyond(parseCsr(createCsr(identityName('db', 'demo'), key)), [WEB_NAME]), [identityName('db', 'demo')]);
});

t.test('the leaf carries the names the issuer decides, not those the CSR asks for', async (t) => {
  const ca = createTestCa();
  const csr = parseCsr(createCsr('evil.example.com', generateKeyPair().privateKeyPem, { uris: ['spiffe://evil/ns/x/sa/y'] }));
  const [leaf] = parseCertificates(issueLeafForCsr({ issuer: ca.issuerAuthority, csr, identity: WEB }).certPem);
  t.same(leaf.dnsNames, [WEB_NAME]);
  t.same(leaf.uris, ['spiffe://cluster.local/ns/demo/sa/web']);
  t.equal(leaf.commonName, WEB_NAME);
  t.equal(leaf.x509.publicKey.export({ type: 'spki', format: 'pem' }), csr.publicKeyPem, 'for the CSR key');
});

t.test('malformed or unsupported CSRs are input errors', async (t) => {
  t.throws(() => parseCsr('hello'), CertificateInputError);
  t.throws(() => parseCsr(Buffer.from('not der at all')), CertificateInputError);
  const truncated = pemBlocks(createCsr(WEB_NAME, generateKeyPair().privateKeyPem), PEM_LABEL.csr)[0].subarray(0, 60);
  t.throws(() => parseCsr(truncated), CertificateInputError);
  const wrongShape = encode(sequence([smallInteger(1), sequence([smallInteger(2)]), smallInteger(3)]));
  t.throws(() => parseCsr(wrongShape), CertificateInputError, 'valid DER of the wrong shape');
  const dir = t.testdir();
  const rsa = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-subj', '/CN=x', '-out', 'csr.pem'], dir);
  t.equal(rsa.status, 0, rsa.output);
  t.throws(() => parseCsr(fs.readFileSync(path.join(dir, 'csr.pem'), 'utf8')), /ECDSA with SHA-256 only/);
});
