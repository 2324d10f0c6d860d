import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The pino root of a process. Everything logs through children of it that carry fixed bindings
 * (`component`, and where known `declarationId`, `workflowId`, `agency`). Trader signatures are
 * redacted once here rather than at each call site.
 */
export function createRootLogger(level: string, component: string): Logger {
  return pino(
    {
      level,
      base: { component },
      redact: {
        paths: ['signature', '*.signature', '*.*.signature', 'riskKey', '*.riskKey'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Asynchronous writes: lines logged while a write is in flight go out together in the next,
    // instead of one write system call per line (a clearance logs about seven). pino flushes what
    // is left when the process exits; a SIGKILL can lose the lines of the write in flight.
    pino.destination({ dest: 1, sync: false }),
  );
}
