// Proxies get their certificates from a real `weft-controller all` (identity role: --issuer-dir, local
// tokens) and keep them fresh: short-lived leaves rotate under steady traffic without one failed request,
// the controller picks up a replaced issuer, and a proxy started before its identity service waits for it.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as tls from 'node:tls';
import t from 'tap';
import { CertifiedKey, createIssuer, createTrustAnchor, generateKeyPair, issueLeaf, loadAuthority, parseCertificates } from '../../certs';
import { formatHostPort, HostPort } from '../../common/address';
import { identityName, ISSUER_FILES, METRIC } from '../../common/contract';
import { LocalTokenAuthority } from '../../controller/identity/local-token-authority';
import { startController } from '../fixtures/controller-process';
import { startEchoServer } from '../fixtures/http-backends';
import { closedPort, send, waitFor } from '../fixtures/http-client';
import { identityEnv } from '../fixtures/identity';
import { metricValue, startProxy } from '../fixtures/proxy-process';
import { openTunnel, readToEnd } from '../fixtures/tcp-backend';

const WEB = 'web.test:8080';
const WEB_ID = identityName('web', 'test');
const TRAFFIC_MS = 22_000;

interface Pki {
  dir: string;
  anchor: CertifiedKey;
  tokens: LocalTokenAuthority;
  controllerArgs(identityAddr?: string): string[];
  proxyEnv(identityAddr: string, serviceAccount: string): Record<string, string>;
  writeIssuer(issuer: CertifiedKey): void;
}

function createPki(dir: string): Pki {
  const anchor = createTrustAnchor();
  const secret = randomBytes(32);
  const files = { anchor: path.join(dir, 'ca.crt'), secret: path.join(dir, 'token-secret'), cluster: path.join(dir, 'cluster.yaml') };
  fs.writeFileSync(files.anchor, anchor.certPem);
  fs.writeFileSync(files.secret, secret);
  fs.writeFileSync(files.cluster, 'services: []\n');
  const tokens = new LocalTokenAuthority(secret);
  const writeIssuer = (issuer: CertifiedKey) => {
    // As an operator would: new files renamed over the old ones, the key first.
    for (const [name, text] of [
      [ISSUER_FILES.key, issuer.keyPem],
      [ISSUER_FILES.cert, issuer.certPem],
    ]) {
      fs.writeFileSync(path.join(dir, `${name}.tmp`), text);
      fs.renameSync(path.join(dir, `${name}.tmp`), path.join(dir, name));
    }
  };
  writeIssuer(createIssuer({ anchor: loadAuthority(anchor) }));
  // The destination role of `all` proves itself to the identity role like a proxy.
  const destinationToken = path.join(dir, 'weft-destination.token');
  fs.writeFileSync(destinationToken, tokens.mint({ serviceAccount: 'weft-destination', namespace: 'weft' }));
  return {
    dir,
    anchor,
    tokens,
    writeIssuer,
    controllerArgs: (identityAddr = '127.0.0.1:0') => [
      ...['--cluster-file', files.cluster, '--issuer-dir', dir, '--trust-anchors', files.anchor, '--token-secret-file', files.secret],
      ...['--identity-addr', identityAddr, '--issuance-lifetime', '10s', '--identity-token-file', destinationToken],
    ],
    proxyEnv(identityAddr, serviceAccount) {
      const tokenFile = path.join(dir, `${serviceAccount}.token`);
      fs.writeFileSync(tokenFile, tokens.mint({ serviceAccount, namespace: 'test' }));
      return identityEnv(identityAddr, tokenFile, identityName(serviceAccount, 'test'), anchor.certPem);
    },
  };
}

/** The issuer's serial in the chain `proxy`'s inbound presents now, read by an mTLS client of the mesh. */
function presentedIssuerSerial(inbound: HostPort, pki: Pki, issuer: CertifiedKey): Promise<string> {
  const keys = generateKeyPair();
  const leaf = issueLeaf({ issuer: loadAuthority(issuer), publicKeyPem: keys.publicKeyPem, identity: { serviceAccount: 'probe', namespace: 'test' } });
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: inbound.host, port: inbound.port, servername: WEB_ID, ca: pki.anchor.certPem, key: keys.privateKeyPem, cert: leaf.chainPem, ALPNProtocols: ['h2'] });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate(true).issuerCertificate.serialNumber);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

t.test('certificates from weft-controller rotate under steady traffic with no failed request', async (t) => {
  const pki = createPki(t.testdir());
  const controller = await startController(t, pki.controllerArgs(), 'all');
  const identityAddr = formatHostPort(controller.identity!);
  const app = await startEchoServer(t);
  const web = await startProxy(t, { app: app.addr, identity: pki.proxyEnv(identityAddr, 'web') });
  const client = await startProxy(t, {
    identity: pki.proxyEnv(identityAddr, 'client'),
    services: [{ authority: WEB, endpoints: [{ addr: formatHostPort(web.inbound), identity: WEB_ID }] }],
  });
  const expiresAtStart = metricValue(await web.metrics(), METRIC.identityCertExpiration);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  t.teardown(() => agent.destroy());
  const failures: string[] = [];
  let requests = 0;
  let tunnels = 0;
  const deadline = Date.now() + TRAFFIC_MS;
  // Requests share the h2 session between the proxies; each tunnel is a new mTLS handshake with the
  // certificates in force at that moment.
  const httpLoop = (async () => {
    while (Date.now() < deadline) {
      const reply = await send(client.outbound, { authority: WEB, path: `/r${requests}`, agent }).catch((err: Error) => ({ status: 0, body: Buffer.from(err.message) }));
      requests++;
      if (reply.status !== 200) failures.push(`request ${requests}: ${reply.status} ${reply.body.toString()}`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  })();
  const tunnelLoop = (async () => {
    while (Date.now() < deadline) {
      try {
        const tunnel = await openTunnel(client.outbound, WEB, t);
        if (tunnel.status !== 200) throw new Error(tunnel.head);
        tunnel.socket.write(`GET /tunnel HTTP/1.1\r\nhost: ${WEB}\r\nconnection: close\r\n\r\n`);
        const answer = (await readToEnd(tunnel.socket)).text;
        tunnel.socket.destroy();
        if (!answer.startsWith('HTTP/1.1 200')) failures.push(`tunnel ${tunnels}: ${answer.slice(0, 100)}`);
      } catch (err) {
        failures.push(`tunnel ${tunnels}: ${(err as Error).message}`);
      }
      tunnels++;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  await Promise.all([httpLoop, tunnelLoop]);

  t.same(failures, [], `no failure in ${requests} requests and ${tunnels} new mTLS connections`);
  t.ok(requests > 100 && tunnels > 10, `steady traffic (${requests} requests, ${tunnels} tunnels)`);
  for (const [name, proxy] of [
    ['web', web],
    ['client', client],
  ] as const) {
    const metrics = await proxy.metrics();
    const refreshes = metricValue(metrics, METRIC.identityCertRefreshTotal, { result: 'success' });
    t.ok(refreshes >= 3, `${name}: renewed at 70 % of a 10 s lifetime: ${refreshes} certificates`);
    t.equal(metricValue(metrics, METRIC.identityCertRefreshTotal, { result: 'failure' }), 0, `${name}: no failed renewal`);
  }
  t.ok(metricValue(await web.metrics(), METRIC.identityCertExpiration) >= expiresAtStart + 14, 'the expiry moved forward with each renewal');

  t.test('a replaced issuer is picked up and signs the next certificates', async (t) => {
    const newIssuer = createIssuer({ anchor: loadAuthority(pki.anchor) });
    const newSerial = parseCertificates(newIssuer.certPem)[0].serialNumber;
    pki.writeIssuer(newIssuer);
    await waitFor('the controller to reload its issuer', () => controller.logs().includes('issuer reloaded'), 5000);
    await waitFor('web to present a certificate from the new issuer', async () => (await presentedIssuerSerial(web.inbound, pki, newIssuer)) === newSerial, 15_000, 500);
    t.pass('web renewed from the new issuer');
    t.equal((await send(client.outbound, { authority: WEB, path: '/after-issuer-rotation' })).status, 200, 'traffic still flows');
    const metrics = await (await fetch(`http://${formatHostPort(controller.admin)}/metrics`)).text();
    t.ok(metricValue(metrics, 'identity_certificates_issued_total') >= 6, 'the controller counts what it issued');
    t.equal(metricValue(metrics, 'identity_issuer_expiration_timestamp_seconds') * 1000, parseCertificates(newIssuer.certPem)[0].notAfter, 'and reports the new issuer\'s expiry');
  });
});

t.test('a proxy started while the identity service is unreachable retries, says so, and gets ready once it is up', async (t) => {
  const pki = createPki(t.testdir());
  const identityAddr = `127.0.0.1:${await closedPort()}`;
  const app = await startEchoServer(t);
  const proxy = await startProxy(t, { app: app.addr, identity: pki.proxyEnv(identityAddr, 'web'), awaitReady: false });
  const readyUrl = `http://${formatHostPort(proxy.admin)}/ready`;
  await waitFor('a failed certificate request in the log', () => proxy.logs().includes('identity certificate request failed'), 10_000);
  const notReady = await fetch(readyUrl);
  t.equal(notReady.status, 503, '/ready is 503 without a certificate');
  t.match(await notReady.text(), new RegExp(`no identity certificate for ${WEB_ID} yet: the identity service at ${identityAddr} answered UNAVAILABLE.*retrying in`));
  t.match(proxy.logs(), /no certificate yet, so mTLS is unavailable/);
  t.equal((await send(proxy.inbound, { authority: WEB })).status, 200, 'plaintext callers are served meanwhile');

  await startController(t, pki.controllerArgs(identityAddr), 'all');
  await waitFor('/ready to turn 200', async () => (await fetch(readyUrl)).status === 200, 20_000, 200);
  t.pass('ready once the identity service answers');
});
