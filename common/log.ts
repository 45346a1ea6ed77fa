// One logger per process. Plain lines for people, JSON for collectors.
import pino from 'pino';

export type Logger = pino.Logger;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'plain' | 'json';

export function createLogger(name: string, level: LogLevel, format: LogFormat): Logger {
  const options: pino.LoggerOptions = { name, level, base: undefined };
  if (format === 'json') return pino(options, pino.destination({ fd: 2, sync: false }));
  return pino(options, plainDestination());
}

// `2026-11-23T10:00:00.000Z WARN weft-proxy outbound: connect failed target=… error=…`
function plainDestination(): pino.DestinationStream {
  const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  return {
    write(line: string) {
      const { time, level, name, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const extra = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      const when = new Date(time as number).toISOString();
      process.stderr.write(`${when} ${levelNames[level as number] ?? level} ${name} ${msg}${extra ? ' ' + extra : ''}\n`);
    },
  };
}
