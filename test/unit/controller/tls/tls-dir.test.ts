// The serving pair as a kubelet mounts a kubernetes.io/tls Secret: tls.crt and tls.key are symlinks into `..data`,
// itself a symlink to a timestamped directory, and an update swaps `..data` atomically (rename over it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import pino from 'pino';
import { createLogger } from '../../../../common/log';
import { KeyPair, TlsDir } from '../../../../controller/tls/tls-dir';
import { injectorServingCertificate } from '../../../../injector/serving-certificate';
import { waitFor } from '../../../fixtures/http-client';

const log = createLogger('tls-dir-test', 'silent', 'json');

function secretVersion(dir: string, version: string, pair: { certPem: string; keyPem: string }): void {
  const data = path.join(dir, `..${version}`);
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'tls.crt'), pair.certPem);
  fs.writeFileSync(path.join(data, 'tls.key'), pair.keyPem);
  fs.symlinkSync(`..${version}`, path.join(dir, '..data_tmp'));
  fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
}

t.test("a mounted Secret's ..data swap is picked up; a pair that does not match is not", async (t) => {
  const dir = t.testdir();
  const first = injectorServingCertificate();
  secretVersion(dir, '2024_01_01', first);
  fs.symlinkSync('..data/tls.crt', path.join(dir, 'tls.crt'));
  fs.symlinkSync('..data/tls.key', path.join(dir, 'tls.key'));
  const reloaded: KeyPair[] = [];
  const logged: string[] = [];
  const recording = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
  const tlsDir = new TlsDir(dir, recording, (pair) => reloaded.push(pair), 'weft-test-tls');
  t.teardown(() => tlsDir.close());
  t.equal(tlsDir.pair.cert, first.certPem);

  const second = injectorServingCertificate();
  secretVersion(dir, '2024_02_01', second);
  await waitFor('the new pair', () => reloaded.length === 1, 10_000);
  t.equal(tlsDir.pair.cert, second.certPem);
  t.equal(reloaded[0].key, second.keyPem);

  const mismatched = { certPem: injectorServingCertificate().certPem, keyPem: second.keyPem };
  secretVersion(dir, '2024_03_01', mismatched);
  await waitFor('the rejection', () => logged.some((l) => l.includes('serving certificate files rejected')), 10_000);
  t.match(logged.find((l) => l.includes('rejected')), /are not a usable pair/);
  t.equal(tlsDir.pair.cert, second.certPem, 'the last good pair stays in force');
  t.equal(reloaded.length, 1);
});

t.test('a directory without a usable pair is refused at start, saying what to mount', async (t) => {
  t.throws(() => new TlsDir(t.testdir(), log, () => {}, 'weft-test-tls'), /cannot read .*tls\.crt \(ENOENT\); mount the kubernetes.io\/tls Secret weft-test-tls there/);
  const pair = injectorServingCertificate();
  const dir = t.testdir({ 'tls.crt': pair.certPem, 'tls.key': injectorServingCertificate().keyPem });
  t.throws(() => new TlsDir(dir, log, () => {}, 'weft-test-tls'), /are not a usable pair/);
});
