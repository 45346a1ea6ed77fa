// The tools the bench drives and the machine it runs on, recorded with each run so numbers can be compared.
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';

const TOOLS: Record<string, string[]> = {
  taskset: ['--version'],
  haproxy: ['-v'],
  nginx: ['-v'],
  wrk: ['--version'],
  h2load: ['--version'],
  curl: ['--version'],
};

/** First line a tool prints about its version, or undefined when it is not installed. */
function toolVersion(tool: string, args: string[]): string | undefined {
  const run = spawnSync(tool, args, { encoding: 'utf8' });
  if (run.error) return undefined;
  return `${run.stdout}${run.stderr}`.trim().split('\n')[0];
}

export function describeEnvironment(): Record<string, string> {
  const missing: string[] = [];
  const env: Record<string, string> = {
    node: process.version,
    cpu: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    kernel: os.release(),
    'load average at start (1, 5, 15 min)': os.loadavg().map((l) => l.toFixed(2)).join(', '),
  };
  for (const [tool, args] of Object.entries(TOOLS)) {
    const version = toolVersion(tool, args);
    if (version === undefined) missing.push(tool);
    else env[tool] = version;
  }
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(', ')}: install them (Debian: apt-get install -y util-linux haproxy nginx-light wrk nghttp2-client curl) and run again`);
  }
  return env;
}
