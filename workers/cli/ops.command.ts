import type { Flags } from '../cli.js';
import { CliError, type CliContext } from './cli-context.js';

export const OPS_HELP = `Usage: ventanilla ops failed | replay | dlq ...`;

export async function opsCommand(_ctx: CliContext, _args: string[], _flags: Flags): Promise<void> {
  throw new CliError('ops commands are not available yet');
}
