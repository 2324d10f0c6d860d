import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Lines are buffered up to this many bytes before a write system call (about a dozen lines), and
 * written at least every FLUSH_MS: a write per line cost more CPU than producing the line.
 */
const BUFFER_BYTES = 4096;
const FLUSH_MS = 250;
/** pino's level number of `warn`: warnings and errors are written at once, not buffered. */
const WARN = 40;

/**
 * The pino root of a process. Everything logs through children of it that carry fixed bindings
 * (`component`, and where known `declarationId`, `workflowId`, `agency`). Trader signatures are
 * redacted once here rather than at each call site.
 */
export function createRootLogger(level: string, component: string): Logger {
  // Asynchronous, buffered writes: lines go out together once BUFFER_BYTES are waiting, or after at
  // most FLUSH_MS, instead of one write system call per line (a clearance logs about six); a warning
  // or an error goes out at once, with what is buffered before it. pino flushes what is left when
  // the process exits; a SIGKILL can lose the lines of the last FLUSH_MS.
  const destination = pino.destination({ dest: 1, sync: false, minLength: BUFFER_BYTES });
  // Lines may be waiting: one was logged, or one was logged while a write was in flight (a write
  // leaves up to BUFFER_BYTES behind). An idle process does not write at all (sonic-boom's own
  // periodicFlush writes an empty string every time).
  let waiting = false;
  destination.on('write', (bytes: number) => {
    if (bytes > 0) waiting = true;
  });
  setInterval(() => {
    if (!waiting) return;
    waiting = false;
    destination.flush();
  }, FLUSH_MS).unref();
  return pino(
    {
      level,
      base: { component },
      redact: {
        paths: ['signature', '*.signature', '*.*.signature', 'riskKey', '*.riskKey'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        logMethod(args, method, levelNumber) {
          method.apply(this, args);
          if (levelNumber >= WARN) destination.flush();
          else waiting = true;
        },
      },
    },
    destination,
  );
}
