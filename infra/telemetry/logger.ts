import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; every line names the process, and request logs add requestId and traceId. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['password', '*.password', 'token', '*.token', 'headers.authorization', 'apiKey', '*.apiKey'], censor: '[redacted]' },
  });
}
