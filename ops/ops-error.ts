/**
 * A problem an operator can act on (a refusal, a bad argument, a missing confirmation). The CLI
 * prints its message as one line, without a stack trace, and exits with `exitCode`.
 */
export class OpsError extends Error {
  override readonly name = 'OpsError';
  constructor(
    message: string,
    /** 1: refused or failed; 2: the command line itself is wrong or incomplete. */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
