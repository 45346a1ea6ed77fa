// `weft certs` run the way an operator runs it (the real bin, a child process), its files checked by openssl.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { REPO_ROOT } from '../../common/entrypoint';
import { openssl } from '../unit/certs/helpers';

const WEFT = path.join(REPO_ROOT, 'bin/weft.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function weft(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [WEFT, ...args], { cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const mode = (file: string): number => fs.statSync(file).mode & 0o777;

/** The contract's error form: exactly one line `weft: error: …`, no stack trace. */
function assertOneErrorLine(t: Test, run: Run, code: number, pattern: RegExp): void {
  t.equal(run.code, code, `exit ${code}`);
  t.equal(run.stdout, '', 'nothing on stdout');
  t.match(run.stderr, /^weft: error: [^\n]+\n$/, 'one error line');
  t.match(run.stderr, pattern);
}

t.test('anchor → issuer → inspect, checked with openssl', async (t) => {
  const dir = t.testdir();
  const anchor = await weft(['certs', 'anchor', '--out', 'ca', '--trust-domain', 'example.org'], dir);
  t.equal(anchor.code, 0, anchor.stderr);
  t.match(anchor.stdout, 'trust anchor CN=root.weft.example.org, valid until');
  const issuer = await weft(['certs', 'issuer', '--ca', 'ca', '--out', 'issuer', '--validity', '720h'], dir);
  t.equal(issuer.code, 0, issuer.stderr);

  t.equal(mode(path.join(dir, 'ca/ca.key')), 0o600, 'anchor key readable by its owner only');
  t.equal(mode(path.join(dir, 'issuer/issuer.key')), 0o600, 'issuer key readable by its owner only');
  const verified = openssl(['verify', '-x509_strict', '-CAfile', 'ca/ca.crt', 'issuer/issuer.crt'], dir);
  t.equal(verified.status, 0, verified.output);
  t.match(openssl(['x509', '-noout', '-text', '-in', 'issuer/issuer.crt'], dir).output, /CA:TRUE, pathlen:0[\s\S]*URI:spiffe:\/\/example\.org/);
  const keyMatches = openssl(['x509', '-noout', '-pubkey', '-in', 'issuer/issuer.crt'], dir).output;
  t.equal(keyMatches, openssl(['pkey', '-pubout', '-in', 'issuer/issuer.key'], dir).output, 'issuer.key belongs to issuer.crt');
  const validForDays = (days: number) => openssl(['x509', '-noout', '-checkend', String(days * 86_400), '-in', 'issuer/issuer.crt'], dir).status === 0;
  t.ok(validForDays(29), 'issuer valid 29 days from now (--validity 720h)');
  t.notOk(validForDays(31), 'but not 31');

  fs.writeFileSync(path.join(dir, 'chain.pem'), fs.readFileSync(path.join(dir, 'issuer/issuer.crt'), 'utf8') + fs.readFileSync(path.join(dir, 'ca/ca.crt'), 'utf8'));
  const table = await weft(['certs', 'inspect', 'chain.pem'], dir);
  t.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  t.match(lines[0], /^SUBJECT\s+ISSUER\s+SANS\s+NOT BEFORE\s+NOT AFTER\s+DAYS LEFT$/);
  t.equal(lines.length, 3, 'one row per certificate');
  t.match(lines[1], /^CN=identity\.weft\.example\.org\s+CN=root\.weft\.example\.org\s+URI:spiffe:\/\/example\.org .* (29|30)$/);
  t.match(lines[2], /^CN=root\.weft\.example\.org\s+CN=root\.weft\.example\.org .* 36(49|50)$/);
  const json = await weft(['certs', 'inspect', 'chain.pem', '-o', 'json'], dir);
  const entries = JSON.parse(json.stdout) as { subject: string; isCA: boolean; uris: string[] }[];
  t.same(entries.map((e) => e.subject), ['CN=identity.weft.example.org', 'CN=root.weft.example.org']);
  t.match((await weft(['certs', 'inspect', 'ca/ca.crt', '-o', 'yaml'], dir)).stdout, /^- subject: CN=root\.weft\.example\.org\n/);
});

t.test('existing key files are kept unless --force', async (t) => {
  const dir = t.testdir();
  t.equal((await weft(['certs', 'anchor', '--out', '.'], dir)).code, 0);
  const before = fs.readFileSync(path.join(dir, 'ca.key'), 'utf8');
  assertOneErrorLine(t, await weft(['certs', 'anchor', '--out', '.'], dir), 1, /ca\.key already exists: pass --force/);
  t.equal(fs.readFileSync(path.join(dir, 'ca.key'), 'utf8'), before, 'key untouched');
  const forced = await weft(['certs', 'anchor', '--out', '.', '--force'], dir);
  t.equal(forced.code, 0, forced.stderr);
  t.not(fs.readFileSync(path.join(dir, 'ca.key'), 'utf8'), before, 'key replaced');
  t.equal(mode(path.join(dir, 'ca.key')), 0o600);
  t.same(fs.readdirSync(dir).sort(), ['ca.crt', 'ca.key'], 'no temporary files left behind');
});

t.test('usage errors exit 2, runtime failures exit 1, each with one line saying what to do', async (t) => {
  const dir = t.testdir({ 'not-pem.crt': 'hello, I am not a certificate\n', 'only-cert': { 'ca.crt': '' } });
  // Independent runs: started together to keep the file fast (each one pays for Node and tsx start-up).
  const [noOut, badValidity, noKey, notPem] = await Promise.all([
    weft(['certs', 'anchor'], dir),
    weft(['certs', 'anchor', '--out', 'x', '--validity', '10 years'], dir),
    weft(['certs', 'issuer', '--ca', 'only-cert', '--out', 'x'], dir),
    weft(['certs', 'inspect', 'not-pem.crt'], dir),
  ]);
  assertOneErrorLine(t, noOut, 2, /missing --out <dir>: give the directory/);
  assertOneErrorLine(t, badValidity, 2, /--validity "10 years" is not valid: expected a number with a unit/);
  assertOneErrorLine(t, noKey, 1, /only-cert\/ca\.key does not exist: pass --ca the directory written by `weft certs anchor --out`/);
  assertOneErrorLine(t, notPem, 1, /not-pem\.crt: no PEM certificate .* found; pass a PEM certificate file/);
  t.notOk(fs.existsSync(path.join(dir, 'x')), 'nothing written after a failure');
});
