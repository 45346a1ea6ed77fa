// The weft-proxy-init program end to end, without root: a fake iptables records what it is asked to run.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { REPO_ROOT } from '../../../../common/entrypoint';

const BIN = path.join(REPO_ROOT, 'bin/weft-proxy-init.js');

interface Run { code: number; stdout: string; stderr: string }

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A fake iptables that appends its arguments to a log, fails `-D`/`-F`/`-X` like on a fresh pod, and fails any
 * command containing FAIL_ON (if set) with an iptables-like message. */
function fakeIptables(t: tap.Test, failOn = ''): { bin: string; calls: () => string[] } {
  const dir = t.testdir();
  const log = path.join(dir, 'calls.log');
  const bin = path.join(dir, 'iptables');
  fs.writeFileSync(
    bin,
    `#!/bin/sh
echo "$*" >> '${log}'
case "$3" in -D|-F|-X) echo "iptables: No chain/target/match by that name." >&2; exit 1;; esac
if [ -n '${failOn}' ] && echo "$*" | grep -q -e '${failOn}'; then
  echo "iptables v1.8.9 (nf_tables): unknown option \\"--to-port\\"" >&2; echo "Try iptables -h" >&2; exit 2
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
});

t.test('--dry-run prints a shell script of the plan and runs nothing', async (t) => {
  const fake = fakeIptables(t);
  const { code, stdout } = await run(['--dry-run', '--iptables-bin', fake.bin, '--outbound-ports-to-ignore', '25']);
  t.equal(code, 0);
  t.same(fake.calls(), [], 'iptables was not called');
  const lines = stdout.trim().split('\n');
  t.match(lines[0], new RegExp(`^${fake.bin} -t nat -D PREROUTING .* 2>/dev/null \\|\\| true$`));
  t.ok(lines.includes(`${fake.bin} -t nat -A PROXY_INIT_OUTPUT -p tcp -j REDIRECT --to-port 4140 -m comment --comment weft-proxy-init/redirect-all-outgoing-to-proxy-port`));
  t.ok(lines.some((l) => l.includes('--dports 25 -j RETURN')));
});

t.test('a run tolerates failed cleanup on a fresh pod, applies every rule in order and exits 0', async (t) => {
  const fake = fakeIptables(t);
  const { code, stdout, stderr } = await run(['--iptables-bin', fake.bin]);
  t.equal(code, 0, stderr);
  t.match(stdout, /^weft-proxy-init: inbound TCP → :4143 .*outbound TCP → :4140/);
  const calls = fake.calls();
  t.equal(calls.length, 15);
  t.ok(calls.every((c) => c.startsWith('-t nat ')));
  t.equal(calls.at(-1), '-t nat -A OUTPUT -j PROXY_INIT_OUTPUT -m comment --comment weft-proxy-init/install-proxy-init-output');
});

t.test('a failing rule stops the run with one error line naming it, exit 1', async (t) => {
  const fake = fakeIptables(t, 'REDIRECT --to-port 4143');
  const { code, stdout, stderr } = await run(['--iptables-bin', fake.bin]);
  t.equal(code, 1);
  t.equal(stdout, '');
  const lines = stderr.trim().split('\n');
  t.equal(lines.length, 1, 'one line, no stack trace');
  t.match(lines[0], /^weft-proxy-init: error: iptables v1\.8\.9 \(nf_tables\): unknown option "--to-port" while running `.* -A PROXY_INIT_REDIRECT -p tcp -j REDIRECT --to-port 4143 .*`; /);
  t.notOk(fake.calls().some((c) => c.includes('PROXY_INIT_OUTPUT -m owner')), 'nothing after the failed rule ran');
});

t.test('a missing iptables says what to do, exit 1', async (t) => {
  const { code, stderr } = await run(['--iptables-bin', path.join(os.tmpdir(), 'no-such-iptables-here')]);
  t.equal(code, 1);
  t.match(stderr, /^weft-proxy-init: error: .*no-such-iptables-here not found .*; install iptables or pass --iptables-bin\n$/);
});

t.test('a usage error exits 2 with one line', async (t) => {
  const { code, stderr } = await run(['--outgoing-proxy-port', 'http']);
  t.equal(code, 2);
  t.equal(stderr, 'weft-proxy-init: error: --outgoing-proxy-port: "http" is not a port; use a number from 1 to 65535\n');
});
