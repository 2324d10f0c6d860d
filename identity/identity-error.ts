/**
 * A certificate, key or trust store that cannot be used, with what to do about it: the CLI prints
 * the message as it is (no stack trace), and the services stop at startup with it.
 */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

/** The message of any thrown value, for wrapping a library's error into one that says the fix. */
export const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));
