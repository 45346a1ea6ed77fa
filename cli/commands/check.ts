// `weft check [--pre] [--proxy] [-o table|json|short] [--wait DUR]`: Linkerd's health checks for weft, each ✔ ‼ or ×
// with the error and what to do; exit 1 when a check that is not a warning fails (CONTRACT.md "Install and check").
import { Command, Option } from 'commander';
import { CONTROL_PLANE_NAMESPACE } from '../../common/contract';
import { DURATION_FORM, parseDuration } from '../../common/duration';
import { EXIT_FAILURE, UsageError } from '../../common/errors';
import { version as WEFT_VERSION } from '../../package.json';
import { categoriesFor, type CheckStage } from '../check/categories';
import { CheckContext, type CheckOptions } from '../check/context';
import { CHECK_OUTPUTS, formatJson, StreamingPrinter, type CheckOutput } from '../check/output';
import { runChecks } from '../check/run';
import type { CheckReport } from '../check/types';

interface CheckFlags {
  pre?: boolean;
  proxy?: boolean;
  output: CheckOutput;
  wait?: string;
  kubeconfig?: string;
  context?: string;
  controlPlaneNamespace: string;
  namespace?: string;
}

export interface CheckRun {
  stage: CheckStage;
  options: CheckOptions;
  /** How long failing checks are retried; 0: each runs once. */
  waitMs: number;
  output: CheckOutput;
  write(text: string): void;
}

/** Runs the checks and prints them; the report says whether they passed. Tests call this in-process. */
export async function check(run: CheckRun): Promise<CheckReport> {
  const ctx = new CheckContext(run.options);
  const deadline = run.waitMs > 0 ? Date.now() + run.waitMs : undefined;
  if (run.output === 'json') {
    const report = await runChecks(categoriesFor(run.stage), ctx, { deadline });
    run.write(formatJson(report));
    return report;
  }
  const printer = new StreamingPrinter(run.output, run.write);
  const report = await runChecks(categoriesFor(run.stage), ctx, {
    deadline,
    onCategory: (name) => printer.category(name),
    onResult: (outcome) => printer.result(outcome),
  });
  printer.finish(report);
  return report;
}

function waitFlag(text: string | undefined): number {
  if (text === undefined) return 0;
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--wait ${JSON.stringify(text)} is not a duration: expected ${DURATION_FORM}`);
  return ms;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check that the cluster is ready for weft (--pre), that the control plane is healthy, and with --proxy the meshed pods')
    .option('--pre', 'before install: API access, Kubernetes version, permission to create what weft install emits, clock skew')
    .option('--proxy', 'also check every meshed pod: proxy ready, its version, its trust anchors')
    .addOption(new Option('-o, --output <format>', 'table, json or short (only what did not pass)').choices(CHECK_OUTPUTS).default('table'))
    .option('--wait <duration>', `retry failing checks until they pass or this long has passed (${DURATION_FORM}); default: check once`)
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config, as kubectl)')
    .option('--context <name>', 'kubeconfig context to use instead of the current one')
    .option('--control-plane-namespace <namespace>', 'namespace of the control plane', CONTROL_PLANE_NAMESPACE)
    .option('-n, --namespace <namespace>', 'with --proxy: check the meshed pods of this namespace only (default all)')
    .action(async (flags: CheckFlags) => {
      if (flags.pre && flags.proxy) throw new UsageError('--pre checks a cluster before install and --proxy the meshed pods after it: give one of them');
      if (flags.namespace !== undefined && !flags.proxy) throw new UsageError('--namespace selects the meshed pods that --proxy checks: add --proxy');
      const report = await check({
        stage: flags.pre ? 'pre' : flags.proxy ? 'proxy' : 'control-plane',
        options: {
          kubeconfig: flags.kubeconfig,
          context: flags.context,
          controlPlaneNamespace: flags.controlPlaneNamespace,
          dataPlaneNamespace: flags.namespace,
          cliVersion: WEFT_VERSION,
          now: Date.now,
        },
        waitMs: waitFlag(flags.wait),
        output: flags.output,
        write: (text) => process.stdout.write(text),
      });
      if (!report.success) process.exitCode = EXIT_FAILURE;
    });
}
