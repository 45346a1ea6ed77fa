// Runs one of the bench's own Node load generators as a process on the load core and reads its JSON answer.
import { nodeArgsFor } from '../../common/entrypoint';
import { LOAD_CORE, runPinned } from '../processes';

export async function runNodeTool<Result>(module: string, options: object, timeoutMs: number): Promise<Result> {
  const args = [...nodeArgsFor(module), JSON.stringify(options)];
  const run = await runPinned(module, LOAD_CORE, process.execPath, args, timeoutMs);
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.timedOut) throw new Error(`${module} ran past its ${timeoutMs} ms budget and was stopped`);
  if (run.code !== 0 || !line.startsWith('{')) throw new Error(`${module} failed (exit ${run.code}): ${run.stderr || line}`);
  return JSON.parse(line) as Result;
}
