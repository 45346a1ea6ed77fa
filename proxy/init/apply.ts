// Runs iptables: probes what each candidate's nat table holds, then runs the plan one `iptables -t nat …` at a
// time, in order, stopping at the first command that fails.
import { execFile } from 'node:child_process';
import { Probe } from './backend';
import { formatStep, IptablesStep } from './rules';

export class RuleFailedError extends Error {
  override name = 'RuleFailedError';
}

export class NoUsableIptablesError extends Error {
  override name = 'NoUsableIptablesError';
}

type Outcome = { ok: true; stdout: string } | { ok: false; failure: string };

/** `iptables -t nat -S` through each candidate: read-only, so --dry-run makes these calls too. */
export function probeIptables(bins: readonly string[]): Promise<Probe[]> {
  return Promise.all(
    bins.map(async (bin) => {
      const outcome = await runIptables(bin, ['-S']);
      return outcome.ok ? { bin, listing: outcome.stdout } : { bin, failure: outcome.failure };
    }),
  );
}

export function noUsableIptables(failures: readonly string[]): NoUsableIptablesError {
  return new NoUsableIptablesError(`no usable iptables: ${failures.join('; ')}; ${advice(failures.join('; '))}`);
}

export async function applyPlan(iptablesBin: string, steps: readonly IptablesStep[]): Promise<void> {
  for (const step of steps) {
    const outcome = await runIptables(iptablesBin, step);
    if (!outcome.ok) throw new RuleFailedError(`${outcome.failure} while running \`${formatStep(iptablesBin, step)}\`; ${advice(outcome.failure)}`);
  }
}

/** Resolves with the output, or with one line saying why the command failed (iptables names itself in it). */
function runIptables(iptablesBin: string, args: readonly string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(iptablesBin, ['-t', 'nat', ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, stdout });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve({ ok: false, failure: 'not found' });
      const firstLine = stderr.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#'));
      resolve({ ok: false, failure: firstLine?.trim() ?? err.message.split('\n')[0] });
    });
  });
}

function advice(failures: string): string {
  if (/permission denied|you must be root/i.test(failures)) return 'run with the NET_ADMIN capability (as root in the pod)';
  if (/not found/.test(failures)) return 'install iptables or pass --iptables-bin';
  // A container with a read-only root filesystem: iptables-legacy cannot take /run/xtables.lock.
  if (/lock file/i.test(failures)) return 'mount a writable directory (an emptyDir) at /run, where iptables-legacy takes its lock, or use --iptables-mode nft';
  return 'check that the kernel supports the nat table and the owner, multiport and comment matches, or try --iptables-mode legacy (or nft)';
}
