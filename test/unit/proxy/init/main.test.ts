// The weft-proxy-init program end to end, without root: fake iptables binaries record what they are asked to
// run and answer `-t nat -S` with a listing the test chooses.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { REPO_ROOT } from '../../../../common/entrypoint';

const BIN = path.join(REPO_ROOT, 'bin/weft-proxy-init.js');
const FRESH_POD = '-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n';

interface Run { code: number; stdout: string; stderr: string }

function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 20_000, env }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface FakeOptions {
  /** What `-t nat -S` prints; `null` makes every call fail as if the kernel had no such backend. */
  listing?: string | null;
  /** Any command containing this fails with an iptables-like message. */
  failOn?: string;
  /** The message of that failure. */
  failMessage?: string;
}

/** A fake iptables named `name` in `dir` that appends its arguments to a log. */
function fakeIptables(dir: string, name: string, { listing = FRESH_POD, failOn = '', failMessage = 'iptables v1.8.9 (nf_tables): unknown option \\"--to-port\\"' }: FakeOptions = {}): { bin: string; calls: () => string[] } {
  const log = path.join(dir, `${name}.log`);
  const bin = path.join(dir, name);
  const listingFile = path.join(dir, `${name}.listing`);
  fs.writeFileSync(listingFile, listing ?? '');
  fs.writeFileSync(
    bin,
    `#!/bin/sh
PATH=/usr/bin:/bin
echo "$*" >> '${log}'
if [ '${listing === null}' = true ]; then
  echo "iptables v1.8.9 (legacy): can't initialize iptables table \\\`nat': Table does not exist (do you need to insmod?)" >&2; exit 3
fi
if [ "$3" = -S ]; then cat '${listingFile}'; exit 0; fi
if [ -n '${failOn}' ] && echo "$*" | grep -q -e '${failOn}'; then
  echo "${failMessage}" >&2; echo "Try iptables -h" >&2; exit 2
fi
exit 0
`,
    { mode: 0o755 },
  );
  return { bin, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []) };
}

t.test('--help prints the usage and exits 0', async (t) => {
  const { code, stdout } = await run(['--help']);
  t.equal(code, 0);
  t.match(stdout, /^Usage: weft-proxy-init/);
  t.match(stdout, /--inbound-ports-to-ignore/);
  t.match(stdout, /--subnets-to-ignore/);
  t.match(stdout, /--iptables-mode auto\|nft\|legacy/);
});

t.test('--dry-run only lists the nat table, then prints a shell script of the plan', async (t) => {
  const fake = fakeIptables(t.testdir(), 'iptables');
  const { code, stdout } = await run(['--dry-run', '--iptables-bin', fake.bin, '--outbound-ports-to-ignore', '25']);
  t.equal(code, 0);
  t.same(fake.calls(), ['-t nat -S'], 'nothing but the read-only listing ran');
  const lines = stdout.trim().split('\n');
  t.equal(lines[0], `# weft-proxy-init: using ${fake.bin} (as asked)`);
  t.equal(lines[1], `${fake.bin} -t nat -N PROXY_INIT_REDIRECT`);
  t.ok(lines.includes(`${fake.bin} -t nat -A PROXY_INIT_OUTPUT -p tcp -j REDIRECT --to-port 4140 -m comment --comment weft-proxy-init/redirect-all-outgoing-to-proxy-port`));
  t.ok(lines.some((l) => l.includes('--dports 25 -j RETURN')));
});

t.test('a run on a fresh pod applies every rule in order and exits 0', async (t) => {
  const fake = fakeIptables(t.testdir(), 'iptables');
  const { code, stdout, stderr } = await run(['--iptables-bin', fake.bin, '--subnets-to-ignore', '10.96.0.0/12']);
  t.equal(code, 0, stderr);
  t.match(stdout, /^weft-proxy-init: using .*iptables \(as asked\): inbound TCP → :4143 .*outbound TCP → :4140.*subnets ignored both ways: 10\.96\.0\.0\/12\n$/);
  const calls = fake.calls();
  t.equal(calls.length, 12, 'the listing, 2 chains, 7 rules and 2 jumps');
  t.ok(calls.every((c) => c.startsWith('-t nat ')));
  t.equal(calls.at(-1), '-t nat -A OUTPUT -j PROXY_INIT_OUTPUT -m comment --comment weft-proxy-init/install-proxy-init-output');
});

t.test('a re-run flushes its own chains and adds no second jump', async (t) => {
  const fake = fakeIptables(t.testdir(), 'iptables', {
    listing: `${FRESH_POD}-N PROXY_INIT_REDIRECT\n-N PROXY_INIT_OUTPUT\n-A PREROUTING -j PROXY_INIT_REDIRECT\n-A OUTPUT -j PROXY_INIT_OUTPUT\n`,
  });
  const { code, stdout, stderr } = await run(['--iptables-bin', fake.bin]);
  t.equal(code, 0, stderr);
  t.match(stdout, /rewriting the rules of an earlier run/);
  const calls = fake.calls();
  t.ok(calls.includes('-t nat -F PROXY_INIT_REDIRECT') && calls.includes('-t nat -F PROXY_INIT_OUTPUT'));
  t.notOk(calls.some((c) => / -N | -A (PREROUTING|OUTPUT) /.test(c)), 'no chain created, no jump added');
});

t.test('auto mode probes iptables-nft, iptables-legacy and iptables on PATH and uses the first that works', async (t) => {
  const dir = t.testdir();
  const nft = fakeIptables(dir, 'iptables-nft', { listing: null });
  const legacy = fakeIptables(dir, 'iptables-legacy');
  const plain = fakeIptables(dir, 'iptables');
  const { code, stdout, stderr } = await run([], { PATH: dir });
  t.equal(code, 0, stderr);
  t.match(stdout, /^weft-proxy-init: using iptables-legacy \(no backend holds rules yet; the first that works\)/);
  t.same(nft.calls(), ['-t nat -S']);
  t.same(plain.calls(), ['-t nat -S']);
  t.equal(legacy.calls().length, 10, 'the rules went to the one that works');
});

t.test('auto mode follows the rules of an earlier run to their backend', async (t) => {
  const dir = t.testdir();
  const nft = fakeIptables(dir, 'iptables-nft');
  const legacy = fakeIptables(dir, 'iptables-legacy', { listing: `${FRESH_POD}-N PROXY_INIT_OUTPUT\n-A OUTPUT -j PROXY_INIT_OUTPUT\n` });
  const { code, stdout, stderr } = await run([], { PATH: dir });
  t.equal(code, 0, stderr);
  t.match(stdout, /^weft-proxy-init: using iptables-legacy \(it holds the rules of an earlier run\)/);
  t.same(nft.calls(), ['-t nat -S'], 'nothing written through nft');
  t.ok(legacy.calls().includes('-t nat -F PROXY_INIT_OUTPUT'));
});

t.test('a failing rule stops the run with one error line naming it, exit 1', async (t) => {
  const fake = fakeIptables(t.testdir(), 'iptables', { failOn: 'REDIRECT --to-port 4143' });
  const { code, stdout, stderr } = await run(['--iptables-bin', fake.bin]);
  t.equal(code, 1);
  t.equal(stdout, '');
  const lines = stderr.trim().split('\n');
  t.equal(lines.length, 1, 'one line, no stack trace');
  t.match(lines[0], /^weft-proxy-init: error: iptables v1\.8\.9 \(nf_tables\): unknown option "--to-port" while running `.* -A PROXY_INIT_REDIRECT -p tcp -j REDIRECT --to-port 4143 .*`; /);
  t.notOk(fake.calls().some((c) => c.includes('PROXY_INIT_OUTPUT -m owner')), 'nothing after the failed rule ran');
});

t.test('iptables-legacy without a writable /run (a read-only root filesystem) gets advice on its lock', async (t) => {
  const fake = fakeIptables(t.testdir(), 'iptables-legacy', { failOn: '-N', failMessage: "Fatal: can't open lock file /run/xtables.lock: Read-only file system" });
  const { code, stderr } = await run(['--iptables-bin', fake.bin]);
  t.equal(code, 1);
  t.match(stderr, /lock file .* mount a writable directory \(an emptyDir\) at \/run/);
});

t.test('no usable iptables: every candidate and why, and what to do, exit 1', async (t) => {
  const missing = await run(['--iptables-bin', path.join(os.tmpdir(), 'no-such-iptables-here')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^weft-proxy-init: error: no usable iptables: .*no-such-iptables-here: not found; install iptables or pass --iptables-bin\n$/);

  const dir = t.testdir();
  fakeIptables(dir, 'iptables-legacy', { listing: null });
  const none = await run([], { PATH: dir });
  t.equal(none.code, 1);
  t.match(none.stderr, /^weft-proxy-init: error: no usable iptables: iptables-nft: not found; iptables-legacy: iptables v1\.8\.9 \(legacy\): can't initialize iptables table `nat'.*; iptables: not found; install iptables/);
});

t.test('a usage error exits 2 with one line', async (t) => {
  const { code, stderr } = await run(['--outgoing-proxy-port', 'http']);
  t.equal(code, 2);
  t.equal(stderr, 'weft-proxy-init: error: --outgoing-proxy-port: "http" is not a port; use a number from 1 to 65535\n');
});
