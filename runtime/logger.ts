import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The pino root of a process. Everything logs through children of it that carry fixed bindings
 * (`component`, and where known `declarationId`, `workflowId`, `agency`). Trader signatures are
 * redacted once here rather than at each call site.
 */
export function createRootLogger(level: string, component: string): Logger {
  return pino({
    level,
    base: { component },
    redact: {
      paths: ['signature', '*.signature', '*.*.signature', 'riskKey', '*.riskKey'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
