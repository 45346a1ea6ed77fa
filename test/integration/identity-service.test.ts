// The identity service on loopback, called by a real gRPC client the way a proxy calls it.
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import t, { type Test } from 'tap';
import {
  CertifiedKey,
  createCsr,
  createIssuer,
  createTrustAnchor,
  generateKeyPair,
  loadAuthority,
  parseCertificates,
  verifyChain,
} from '../../certs';
import { children, decode, signed } from '../../certs/asn1';
import { loadPrivateKey } from '../../certs/keys';
import { PEM_LABEL, pemBlocks } from '../../certs/pem';
import { systemClock } from '../../common/clock';
import { identityName } from '../../common/contract';
import { tlsChannel } from '../../common/grpc-tls';
import { createLogger } from '../../common/log';
import { LocalTokenAuthority } from '../../controller/identity/local-token-authority';
import { CertifyRequest, CertifyResponse, IdentityClient } from '../../controller/identity/proto';
import { IdentityServer, startIdentityServer } from '../../controller/identity/server';
import { KubernetesTokenReviewer } from '../../controller/identity/kubernetes-token-reviewer';
import { TokenReviewer } from '../../controller/identity/token-reviewer';
import { startKubeApiServer } from '../fixtures/kube-api-server';
import type { ServiceAccountToken } from '../fixtures/kube/token-review';
import { openssl } from '../unit/certs/helpers';

const DAY = 86_400_000;
const WEB_NAME = identityName('web', 'demo');
const WEB_SPIFFE = 'spiffe://cluster.local/ns/demo/sa/web';

interface Harness {
  anchor: CertifiedKey;
  tokens: LocalTokenAuthority;
  /** Mints with the server's secret but a clock set to `at`: for tokens that have already expired. */
  tokensAt(at: number): LocalTokenAuthority;
  certify(request: Partial<CertifyRequest>): Promise<CertifyResponse>;
  /** Replaces the issuer the server signs with (as a re-read --issuer-dir would). */
  replaceIssuer(issuerFrom: (anchor: CertifiedKey) => CertifiedKey): void;
}

/** A server with its own CA and token authority, and a client to it; all closed when the test ends. */
async function startHarness(
  t: Test,
  issuerFrom: (anchor: CertifiedKey) => CertifiedKey = defaultIssuer,
  reviewer?: TokenReviewer,
): Promise<Harness> {
  const anchor = createTrustAnchor();
  let issuer = loadAuthority(issuerFrom(anchor));
  const secret = randomBytes(32);
  const tokens = new LocalTokenAuthority(secret);
  const server: IdentityServer = await startIdentityServer({
    addr: { host: '127.0.0.1', port: 0 },
    issuer: () => issuer,
    trustAnchorsPem: anchor.certPem,
    reviewer: reviewer ?? tokens,
    clock: systemClock,
    log: createLogger('identity-test', 'silent', 'json'),
  });
  const channel = tlsChannel({ name: server.name, trustAnchorsPem: anchor.certPem });
  const client = new IdentityClient(`127.0.0.1:${server.port}`, channel.credentials, channel.options);
  t.teardown(async () => {
    client.close();
    await server.close();
  });
  const certify = (request: Partial<CertifyRequest>) =>
    new Promise<CertifyResponse>((resolve, reject) => {
      const deadline = new Date(Date.now() + 10_000);
      client.Certify(request, { deadline }, (err: grpc.ServiceError | null, response: CertifyResponse) => (err ? reject(err) : resolve(response)));
    });
  const tokensAt = (at: number) => new LocalTokenAuthority(secret, { ...systemClock, now: () => at });
  const replaceIssuer = (from: (anchor: CertifiedKey) => CertifiedKey) => {
    issuer = loadAuthority(from(anchor));
  };
  return { anchor, tokens, tokensAt, certify, replaceIssuer };
}

function defaultIssuer(anchor: CertifiedKey): CertifiedKey {
  return createIssuer({ anchor: loadAuthority(anchor) });
}

const csrDer = (csrPem: string): Buffer => pemBlocks(csrPem, PEM_LABEL.csr)[0];

/** What a well-behaved proxy sends for web.demo; `csrPem` replaces its CSR. */
function webRequest(h: Harness, csrPem = createCsr(WEB_NAME, generateKeyPair().privateKeyPem)): Partial<CertifyRequest> {
  return {
    identity: WEB_NAME,
    token: Buffer.from(h.tokens.mint({ serviceAccount: 'web', namespace: 'demo' })),
    certificateSigningRequest: csrDer(csrPem),
  };
}

async function refusal(t: Test, call: Promise<unknown>, code: grpc.status, details: RegExp): Promise<void> {
  const err = await call.then(
    () => undefined,
    (e: grpc.ServiceError) => e,
  );
  t.equal(err?.code, code, `${grpc.status[code]}; got ${err === undefined ? 'a certificate' : `${grpc.status[err.code]}: ${err.details}`}`);
  t.match(err?.details, details);
}

t.test('a proxy with a valid token and CSR gets a leaf chain that verifies for its name', async (t) => {
  const h = await startHarness(t);
  const keys = generateKeyPair();
  const response = await h.certify(webRequest(h, createCsr(WEB_NAME, keys.privateKeyPem)));
  const verified = verifyChain({ chainPem: response.certificateChainPem, anchorsPem: h.anchor.certPem, name: WEB_NAME });
  t.equal(verified.ok, true, verified.ok ? 'verifies' : verified.reason);
  const [leaf, issuer] = parseCertificates(response.certificateChainPem);
  t.same(leaf.uris, [WEB_SPIFFE]);
  t.equal(leaf.x509.publicKey.export({ type: 'spki', format: 'pem' }), keys.publicKeyPem, 'for the key the proxy holds');
  t.equal(response.validUntil.seconds * 1000, leaf.notAfter, 'valid_until is the leaf notAfter');
  t.ok(leaf.notAfter - Date.now() > DAY - 60_000, 'a 24 h leaf');
  t.ok(issuer.isCA, 'the issuer follows the leaf');
  const dir = t.testdir({ 'ca.crt': h.anchor.certPem, 'issuer.crt': issuer.pem, 'leaf.crt': leaf.pem });
  const checked = openssl(['verify', '-x509_strict', '-CAfile', 'ca.crt', '-untrusted', 'issuer.crt', 'leaf.crt'], dir);
  t.equal(checked.status, 0, checked.output);

  const withSpiffe = createCsr(WEB_NAME, keys.privateKeyPem, { uris: [WEB_SPIFFE] });
  t.ok((await h.certify(webRequest(h, withSpiffe))).certificateChainPem, 'a CSR may also ask for its own SPIFFE ID');
});

t.test('bad, foreign, expired or missing tokens are UNAUTHENTICATED', async (t) => {
  const h = await startHarness(t);
  const web = { serviceAccount: 'web', namespace: 'demo' };
  const cases: [string, string, RegExp][] = [
    ['garbage', 'not-a-token', /not a weft local token/],
    ['minted by another controller', new LocalTokenAuthority().mint(web), /signature does not verify/],
    ['for another audience', h.tokens.mint({ ...web, audience: 'https://kubernetes.default.svc' }), /not for audience identity\.weft\.io/],
    ['expired', h.tokensAt(Date.now() - 2 * DAY).mint({ ...web, lifetimeMs: DAY }), /the token has expired/],
    ['missing', '', /no token/],
  ];
  for (const [label, token, details] of cases) {
    t.test(label, (t) => refusal(t, h.certify({ ...webRequest(h), token: Buffer.from(token) }), grpc.status.UNAUTHENTICATED, details));
  }
});

t.test('asking for a name the token does not prove is PERMISSION_DENIED', async (t) => {
  const h = await startHarness(t);
  const key = generateKeyPair().privateKeyPem;
  const db = identityName('db', 'demo');
  await refusal(t, h.certify({ ...webRequest(h), identity: db }), grpc.status.PERMISSION_DENIED, new RegExp(`the token proves ${WEB_NAME}, not "${db}"`));
  await refusal(t, h.certify(webRequest(h, createCsr(db, key))), grpc.status.PERMISSION_DENIED, new RegExp(`the CSR asks for ${db}`));
  const extraDns = createCsr(WEB_NAME, key, { dnsNames: ['admin.weft.cluster.local'] });
  await refusal(t, h.certify(webRequest(h, extraDns)), grpc.status.PERMISSION_DENIED, /asks for admin\.weft\.cluster\.local, which the token does not prove/);
  const extraUri = createCsr(WEB_NAME, key, { uris: ['spiffe://cluster.local/ns/weft/sa/admin'] });
  await refusal(t, h.certify(webRequest(h, extraUri)), grpc.status.PERMISSION_DENIED, /spiffe:\/\/cluster\.local\/ns\/weft\/sa\/admin/);
});

t.test('a malformed CSR is INVALID_ARGUMENT', async (t) => {
  const h = await startHarness(t);
  const request = webRequest(h);
  await refusal(t, h.certify({ ...request, certificateSigningRequest: Buffer.from('not a CSR') }), grpc.status.INVALID_ARGUMENT, /not valid DER/);
  await refusal(t, h.certify({ ...request, certificateSigningRequest: Buffer.alloc(0) }), grpc.status.INVALID_ARGUMENT, /send a DER PKCS#10 request/);
  const honest = csrDer(createCsr(WEB_NAME, generateKeyPair().privateKeyPem));
  const [info] = children(decode(honest, 'csr'));
  const forged = signed(info, loadPrivateKey(generateKeyPair().privateKeyPem));
  await refusal(t, h.certify({ ...request, certificateSigningRequest: forged }), grpc.status.INVALID_ARGUMENT, /not signed by the key it contains/);
});

const expiredIssuer = (anchor: CertifiedKey) => createIssuer({ anchor: loadAuthority(anchor), now: Date.now() - 3 * DAY, validityMs: DAY });

t.test('an issuer replaced by an expired one makes Certify FAILED_PRECONDITION', async (t) => {
  // Its serving certificate, signed by the issuer before, stays valid: callers learn why they get none.
  const h = await startHarness(t);
  h.replaceIssuer(expiredIssuer);
  await refusal(t, h.certify(webRequest(h)), grpc.status.FAILED_PRECONDITION, /the issuer certificate CN=identity\.weft\.cluster\.local expired at .*weft certs issuer/);
});

t.test('an identity server whose issuer has expired does not start: it could not sign its own certificate', async (t) => {
  await t.rejects(startHarness(t, expiredIssuer), /the issuer certificate CN=identity\.weft\.cluster\.local expired at .*create a new one with `weft certs issuer`/);
});

t.test('in a cluster the token is checked with a Kubernetes TokenReview for the identity audience', async (t) => {
  const kube = await startKubeApiServer();
  const dir = t.testdir();
  t.teardown(() => kube.close());
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kube.kubeconfigFile(dir));
  const h = await startHarness(t, defaultIssuer, new KubernetesTokenReviewer(kubeConfig));
  const request = webRequest(h);
  const token = (account: ServiceAccountToken) => Buffer.from(kube.tokens.issue(account));

  const response = await h.certify({ ...request, token: token({ namespace: 'demo', serviceAccount: 'web' }) });
  t.equal(verifyChain({ chainPem: response.certificateChainPem, anchorsPem: h.anchor.certPem, name: WEB_NAME }).ok, true);
  await refusal(t, h.certify({ ...request, token: Buffer.from('unknown') }), grpc.status.UNAUTHENTICATED, /the Kubernetes API refused the token/);
  const apiServerToken = token({ namespace: 'demo', serviceAccount: 'web', audiences: ['https://kubernetes.default.svc.cluster.local'] });
  await refusal(t, h.certify({ ...request, token: apiServerToken }), grpc.status.UNAUTHENTICATED, /invalid for the target audiences/);
  const dbToken = token({ namespace: 'demo', serviceAccount: 'db' });
  await refusal(t, h.certify({ ...request, token: dbToken }), grpc.status.PERMISSION_DENIED, /the token proves db\.demo\./);
});

t.test('a reviewer that cannot decide makes the call UNAVAILABLE, so the proxy retries', async (t) => {
  const down: TokenReviewer = { review: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6443')) };
  const h = await startHarness(t, defaultIssuer, down);
  await refusal(t, h.certify(webRequest(h)), grpc.status.UNAVAILABLE, /cannot review the token now \(connect ECONNREFUSED .*\); retry later/);
});
