// Runs the plan one `iptables -t nat …` at a time, in order, and stops at the first rule that fails.
import { execFile } from 'node:child_process';
import { formatStep, IptablesStep } from './rules';

export class RuleFailedError extends Error {
  override name = 'RuleFailedError';
}

export async function applyPlan(iptablesBin: string, steps: readonly IptablesStep[]): Promise<void> {
  for (const step of steps) {
    const failure = await runIptables(iptablesBin, step.args);
    if (failure === undefined || step.cleanup) continue;
    throw new RuleFailedError(`${failure} while running \`${formatStep(iptablesBin, step)}\`; ${advice(failure)}`);
  }
}

/** Resolves with undefined on success, or one line saying why the command failed. */
function runIptables(iptablesBin: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(iptablesBin, ['-t', 'nat', ...args], { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve(`${iptablesBin} not found`);
      const firstLine = stderr.split('\n').find((line) => line.trim() !== '');
      resolve(firstLine?.trim() ?? err.message.split('\n')[0]);
    });
  });
}

function advice(failure: string): string {
  if (failure.endsWith('not found')) return 'install iptables or pass --iptables-bin';
  if (/permission denied|you must be root/i.test(failure)) return 'run with the NET_ADMIN capability (as root in the pod)';
  return 'check that the kernel supports the nat table and the owner, multiport and comment matches, or try --iptables-bin iptables-legacy';
}
