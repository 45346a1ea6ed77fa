// The control plane's own gRPC over TLS, with real processes as in a cluster: two identity replicas and a
// destination role, each its own weft-controller process, the issuer a mounted kubernetes.io/tls Secret
// (the `..data` symlink layout), and proxies that verify the control plane's names against the trust anchors.
// Then a trust-anchor rotation under steady traffic (two-anchor bundle, issuer switched to the new anchor's),
// and each way a control-plane connection must be refused, each with its reason.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { CertifiedKey, createIssuer, createTrustAnchor, generateKeyPair, issueLeaf, loadAuthority, parseCertificates, verifyChain } from '../../certs';
import { formatHostPort, HostPort } from '../../common/address';
import { CONTROL_PLANE_TLS_METRIC, controlPlaneIdentityName, ENV, identityName, METRIC } from '../../common/contract';
import { LocalTokenAuthority } from '../../controller/identity/local-token-authority';
import { IdentityClient } from '../../controller/identity/proto';
import { ControllerProcess, startController } from '../fixtures/controller-process';
import { startEchoServer } from '../fixtures/http-backends';
import { send, waitFor } from '../fixtures/http-client';
import { identityEnv } from '../fixtures/identity';
import { writeMountedSecret } from '../fixtures/mounted-secret';
import { metricValue, ProxyProcess, startProxy, writeEndpointsFile } from '../fixtures/proxy-process';

const WEB = 'web.test.svc.cluster.local:8080';
const WEB_ID = identityName('web', 'test');
const IDENTITY_NAME = controlPlaneIdentityName('identity');
const DESTINATION_NAME = controlPlaneIdentityName('destination');
/** Short leaves, so that every certificate in the mesh is renewed several times during the rotation. */
const LIFETIME = '6s';

interface Mesh {
  dir: string;
  oldAnchor: CertifiedKey;
  newAnchor: CertifiedKey;
  /** Both anchors: what every process trusts during the rotation. */
  bundlePem: string;
  issuerDir: string;
  tokens: LocalTokenAuthority;
  clusterFile: string;
  tokenFile(serviceAccount: string, namespace: string): string;
  switchIssuer(issuer: CertifiedKey): void;
}

function createMesh(dir: string): Mesh {
  const oldAnchor = createTrustAnchor();
  const newAnchor = createTrustAnchor();
  const bundlePem = oldAnchor.certPem + newAnchor.certPem;
  const secret = randomBytes(32);
  const tokens = new LocalTokenAuthority(secret);
  const issuerDir = path.join(dir, 'issuer');
  fs.mkdirSync(issuerDir);
  const switchIssuer = (issuer: CertifiedKey) => writeMountedSecret(issuerDir, { 'tls.crt': issuer.certPem, 'tls.key': issuer.keyPem, 'ca.crt': bundlePem });
  switchIssuer(createIssuer({ anchor: loadAuthority(oldAnchor) }));
  fs.writeFileSync(path.join(dir, 'ca-bundle.crt'), bundlePem);
  fs.writeFileSync(path.join(dir, 'token-secret'), secret);
  const clusterFile = path.join(dir, 'cluster.yaml');
  writeEndpointsFile(clusterFile, []);
  return {
    dir,
    oldAnchor,
    newAnchor,
    bundlePem,
    issuerDir,
    tokens,
    clusterFile,
    switchIssuer,
    tokenFile(serviceAccount, namespace) {
      const file = path.join(dir, `${namespace}.${serviceAccount}.token`);
      fs.writeFileSync(file, tokens.mint({ serviceAccount, namespace }));
      return file;
    },
  };
}

function identityArgs(mesh: Mesh): string[] {
  return [
    ...['--cluster-file', mesh.clusterFile, '--issuer-dir', mesh.issuerDir, '--trust-anchors', path.join(mesh.dir, 'ca-bundle.crt')],
    ...['--token-secret-file', path.join(mesh.dir, 'token-secret'), '--identity-addr', '127.0.0.1:0', '--issuance-lifetime', LIFETIME],
  ];
}

function destinationArgs(mesh: Mesh, identity: ControllerProcess): string[] {
  return [
    ...['--cluster-file', mesh.clusterFile, '--trust-anchors', path.join(mesh.dir, 'ca-bundle.crt')],
    ...['--identity-svc-addr', formatHostPort(identity.identity!), '--identity-token-file', mesh.tokenFile('weft-destination', 'weft')],
  ];
}

/** A meshed proxy's env against this control plane; `names: false` leaves the control-plane names to be derived. */
function meshedEnv(mesh: Mesh, identity: ControllerProcess, destination: ControllerProcess, serviceAccount: string, names = true): Record<string, string> {
  const env = {
    ...identityEnv(formatHostPort(identity.identity!), mesh.tokenFile(serviceAccount, 'test'), identityName(serviceAccount, 'test'), mesh.bundlePem),
    [ENV.destinationSvcAddr]: formatHostPort(destination.destination!),
    [ENV.destinationSvcName]: DESTINATION_NAME,
    [ENV.destinationContext]: JSON.stringify({ ns: 'test' }),
  };
  if (!names) {
    delete (env as Record<string, string>)[ENV.identitySvcName];
    delete (env as Record<string, string>)[ENV.destinationSvcName];
  }
  return env;
}

/** The chain a TLS server at `addr` presents for `servername`, as PEM (leaf first); mTLS when `client` is given. */
function presentedChain(addr: HostPort, servername: string, anchorsPem: string, client?: { key: string; cert: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: addr.host, port: addr.port, servername, ca: anchorsPem, ALPNProtocols: ['h2'], ...client });
    socket.once('secureConnect', () => {
      const pems: string[] = [];
      const seen = new Set<string>();
      for (let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); cert?.raw && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
        seen.add(cert.fingerprint256);
        pems.push(`-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`);
      }
      socket.destroy();
      resolve(pems.join(''));
    });
    socket.once('error', reject);
  });
}

const issuerSerialOf = (chainPem: string) => parseCertificates(chainPem)[1]?.serialNumber;

async function controllerMetrics(controller: ControllerProcess): Promise<string> {
  return (await fetch(`http://${formatHostPort(controller.admin)}/metrics`)).text();
}

t.test('the control plane over TLS: certificates for its own names, verified by proxies, through an anchor rotation', async (t) => {
  const mesh = createMesh(t.testdir());
  // Two identity replicas on the same issuer Secret, as `--ha` runs them: no coordination between them.
  const [identityA, identityB] = await Promise.all([startController(t, identityArgs(mesh), 'identity'), startController(t, identityArgs(mesh), 'identity')]);
  const destination = await startController(t, destinationArgs(mesh, identityA), 'destination');
  const app = await startEchoServer(t);
  const web = await startProxy(t, { app: app.addr, identity: meshedEnv(mesh, identityA, destination, 'web') });
  // The client leaves both control-plane names to be derived from its own identity name.
  const client = await startProxy(t, { identity: meshedEnv(mesh, identityB, destination, 'client', false) });
  writeEndpointsFile(mesh.clusterFile, [{ authority: WEB, endpoints: [{ addr: formatHostPort(web.inbound), identity: WEB_ID, protocol: 'h2' }] }]);
  await waitFor('the client to discover web over TLS', async () => (await send(client.outbound, { authority: WEB, path: '/first' })).status === 200, 20_000, 200);

  const config = (await (await fetch(`http://${formatHostPort(client.admin)}/config.json`)).json()) as { identity: { svcName: string }; destination: { tls: { kind: string; name: string } } };
  t.equal(config.identity.svcName, IDENTITY_NAME, 'the identity service name the client derived');
  t.match(config.destination.tls, { kind: 'tls', name: DESTINATION_NAME }, 'and the destination service name');
  for (const [what, addr, name] of [
    ['identity replica A', identityA.identity!, IDENTITY_NAME],
    ['identity replica B', identityB.identity!, IDENTITY_NAME],
    ['destination', destination.destination!, DESTINATION_NAME],
  ] as const) {
    const chain = await presentedChain(addr, name, mesh.bundlePem);
    const verified = verifyChain({ chainPem: chain, anchorsPem: mesh.oldAnchor.certPem, name });
    t.ok(verified.ok, `${what} serves a certificate for ${name} under the trust anchor${verified.ok ? '' : `: ${verified.reason}`}`);
  }
  const destinationMetrics = await controllerMetrics(destination);
  t.ok(metricValue(destinationMetrics, CONTROL_PLANE_TLS_METRIC.servingCertExpiration, { service: 'destination' }) > Date.now() / 1000, 'destination reports when its certificate expires');
  t.ok(metricValue(destinationMetrics, CONTROL_PLANE_TLS_METRIC.servingCertRefreshTotal, { service: 'destination', result: 'success' }) >= 1, 'it got it from Certify');

  t.test('a trust-anchor rotation under steady traffic fails no request', async (t) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    t.teardown(() => agent.destroy());
    const failures: string[] = [];
    let requests = 0;
    let running = true;
    const traffic = (async () => {
      for (const stopAt = Date.now() + 90_000; running && Date.now() < stopAt; ) {
        const reply = await send(client.outbound, { authority: WEB, path: `/r${requests}`, agent }).catch((err: Error) => ({ status: 0, body: Buffer.from(err.message) }));
        requests++;
        if (reply.status !== 200) failures.push(`request ${requests}: ${reply.status} ${reply.body.toString()}`);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    const newIssuer = createIssuer({ anchor: loadAuthority(mesh.newAnchor) });
    const newSerial = parseCertificates(newIssuer.certPem)[0].serialNumber;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    mesh.switchIssuer(newIssuer);
    for (const [what, replica] of [
      ['A', identityA],
      ['B', identityB],
    ] as const) {
      await waitFor(`identity replica ${what} to follow the Secret's ..data swap`, () => replica.logs().includes(newSerial), 10_000, 100);
    }
    const probe = generateKeyPair();
    const probeLeaf = issueLeaf({ issuer: loadAuthority(newIssuer), publicKeyPem: probe.publicKeyPem, identity: { serviceAccount: 'probe', namespace: 'test' } });
    const fromNewIssuer = async (addr: HostPort, name: string, mtls = false) =>
      issuerSerialOf(await presentedChain(addr, name, mesh.bundlePem, mtls ? { key: probe.privateKeyPem, cert: probeLeaf.chainPem } : undefined)) === newSerial;
    await waitFor('identity A to serve a certificate from the new issuer', () => fromNewIssuer(identityA.identity!, IDENTITY_NAME), 10_000, 200);
    await waitFor('identity B too', () => fromNewIssuer(identityB.identity!, IDENTITY_NAME), 10_000, 200);
    await waitFor('destination, at its next renewal', () => fromNewIssuer(destination.destination!, DESTINATION_NAME), 20_000, 200);
    await waitFor('web, at its next renewal', () => fromNewIssuer(web.inbound, WEB_ID, true), 20_000, 200);
    // Three more leaf lifetimes' worth of renewals, all under the new anchor.
    await new Promise((resolve) => setTimeout(resolve, 8000));
    running = false;
    await traffic;

    t.same(failures, [], `no failure in ${requests} requests`);
    t.ok(requests > 100, `steady traffic (${requests} requests)`);
    for (const [name, proxy] of [
      ['web', web],
      ['client', client],
    ] as const) {
      t.equal(metricValue(await proxy.metrics(), METRIC.identityCertRefreshTotal, { result: 'failure' }), 0, `${name}: no failed renewal`);
    }
    const webChain = await presentedChain(web.inbound, WEB_ID, mesh.bundlePem, { key: probe.privateKeyPem, cert: probeLeaf.chainPem });
    const alone = verifyChain({ chainPem: webChain, anchorsPem: mesh.newAnchor.certPem, name: WEB_ID });
    t.ok(alone.ok, `web's certificate now needs only the new anchor${alone.ok ? '' : `: ${alone.reason}`}`);
    const destinationChain = await presentedChain(destination.destination!, DESTINATION_NAME, mesh.bundlePem);
    t.ok(verifyChain({ chainPem: destinationChain, anchorsPem: mesh.newAnchor.certPem, name: DESTINATION_NAME }).ok, 'so does destination\'s');
  });

  t.test('a proxy expecting another name refuses the control plane and says why', async (t) => {
    const env = { ...meshedEnv(mesh, identityA, destination, 'wrong'), [ENV.identitySvcName]: DESTINATION_NAME, [ENV.destinationSvcName]: IDENTITY_NAME };
    const proxy = await startProxy(t, { identity: env, awaitReady: false });
    const reason = await notReadyReason(proxy, /presented a certificate/);
    t.match(reason, new RegExp(`the identity service at ${formatHostPort(identityA.identity!)} answered UNAVAILABLE: .*presented a certificate for DNS:${escape(IDENTITY_NAME)}.*not ${escape(DESTINATION_NAME)}`));
    await send(proxy.outbound, { authority: WEB }).catch(() => undefined);
    await waitFor('the destination refusal in the log', () => proxy.logs().includes('the destination service failed'), 10_000);
    t.match(proxy.logs(), new RegExp(`presented a certificate for DNS:${escape(DESTINATION_NAME)}.*not ${escape(IDENTITY_NAME)}`));
  });

  t.test('a proxy trusting another anchor refuses the control plane and says why', async (t) => {
    const foreign = createTrustAnchor();
    const env = { ...meshedEnv(mesh, identityA, destination, 'foreign'), [ENV.identityTrustAnchors]: foreign.certPem };
    const proxy = await startProxy(t, { identity: env, awaitReady: false });
    const reason = await notReadyReason(proxy, /does not verify/);
    t.match(reason, /answered UNAVAILABLE: .*unable to get local issuer certificate.*does not verify against the trust anchors/);
    await send(proxy.outbound, { authority: WEB }).catch(() => undefined);
    await waitFor('the destination refusal in the log', () => proxy.logs().includes('the destination service failed'), 10_000);
    t.match(proxy.logs(), new RegExp(`certificate presented for ${escape(DESTINATION_NAME)} does not verify against the trust anchors`));
  });

  t.test('a plaintext client is refused by the TLS servers, which say so', async (t) => {
    const plaintext = new IdentityClient(formatHostPort(identityA.identity!), grpc.credentials.createInsecure());
    t.teardown(() => plaintext.close());
    const err = await new Promise<grpc.ServiceError>((resolve) => plaintext.Certify({}, { deadline: Date.now() + 5000 }, resolve));
    t.equal(err?.code, grpc.status.UNAVAILABLE, `no answer over plaintext (${err?.details})`);
    await waitFor('the identity role to log the refusal', () => identityA.logs().includes('refused a plaintext connection'), 10_000);
    t.match(identityA.logs(), /refused a plaintext connection: the identity service speaks TLS only; its clients need its identity name \(weft-identity\.weft\.serviceaccount\.identity\.weft\.cluster\.local\) and the trust anchors/);
    t.ok(metricValue(await controllerMetrics(identityA), CONTROL_PLANE_TLS_METRIC.plaintextRefusedTotal, { service: 'identity' }) >= 1, 'and counts it');

    // A proxy with identity disabled and no destination name speaks plaintext on purpose, and is refused too.
    const proxy = await startProxy(t, { env: { [ENV.destinationSvcAddr]: formatHostPort(destination.destination!) } });
    t.match(proxy.logs(), /talking to the destination service in plaintext/, 'the proxy says it chose plaintext');
    await send(proxy.outbound, { authority: WEB }).catch(() => undefined);
    await waitFor('destination to log the refusal', () => destination.logs().includes('refused a plaintext connection: the destination service speaks TLS only'), 10_000);
    t.pass('destination refused it');
  });
});

t.test('an identity role whose issuer has expired stops with the reason', async (t) => {
  const mesh = createMesh(t.testdir());
  const day = 86_400_000;
  mesh.switchIssuer(createIssuer({ anchor: loadAuthority(mesh.oldAnchor), now: Date.now() - 3 * day, validityMs: day }));
  await t.rejects(startController(t, identityArgs(mesh), 'identity'), /the issuer certificate CN=identity\.weft\.cluster\.local expired at .*create a new one with `weft certs issuer`/);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The proxy's /ready text once it matches `pattern` (it is 503 all along: no certificate). */
async function notReadyReason(proxy: ProxyProcess, pattern: RegExp): Promise<string> {
  const url = `http://${formatHostPort(proxy.admin)}/ready`;
  let text = '';
  await waitFor(`/ready to say ${pattern}`, async () => {
    const res = await fetch(url);
    text = await res.text();
    return res.status === 503 && pattern.test(text);
  }, 15_000, 200);
  return text;
}
