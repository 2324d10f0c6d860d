import { createInterface } from 'node:readline/promises';
import { CliError } from './cli-error.js';

/**
 * Asks before a bulk action. `--yes` answers for the operator; without a terminal to ask on
 * (CI, cron, a pipe) the action is refused rather than assumed, and the message says how to
 * confirm. The question goes to stderr so that `--json` output on stdout stays parseable.
 */
export async function confirmBulk(
  question: string,
  options: { yes: boolean; input?: NodeJS.ReadStream; output?: NodeJS.WriteStream },
): Promise<void> {
  if (options.yes) return;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (!input.isTTY) {
    throw new CliError(
      `${question} Not confirmed: there is no terminal to ask on. Pass --yes to confirm.`,
      2,
    );
  }
  const prompt = createInterface({ input, output });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('not confirmed; nothing was done');
  } finally {
    prompt.close();
  }
}
