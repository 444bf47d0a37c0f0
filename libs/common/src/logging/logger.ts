import pino from 'pino';

export type Logger = pino.Logger;

/** One JSON line per entry on stdout, with the service and instance on every line. */
export function createLogger(service: string, level: string = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service, pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
