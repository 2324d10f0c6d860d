import { ConfigError } from '../runtime/config.js';
import { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { parseFlags, type Flags, type ParsedFlags } from './flags.js';
import { DECIDE_HELP, decideCommand } from './decide.command.js';
import { OPS_HELP, opsCommand } from './ops.command.js';
import { QUEUE_HELP, queueCommand } from './queue.command.js';
import { SHOW_HELP, showCommand } from './show.command.js';
import { STATUS_HELP, statusCommand } from './status.command.js';
import { SUBMIT_HELP, submitCommand } from './submit.command.js';

const HELP = `Usage: ventanilla <command> [options]

Traders
  submit <file.json|->                  send a declaration, amendment or withdrawal
  status <declarationId> [--watch]      follow a declaration's clearance

Agency officers
  queue <AGENCY>                        the agency's pending requests, nearest deadline first
  show <AGENCY> <declarationId>         the agency's view of one declaration
  decide <AGENCY> <declarationId> approve|reject|request-info [--reason CODE:message] [--officer ID] [--condition text]

Operators
  ops failed [--since T] [--agency A]   failed clearances and why
  ops replay <declarationId> | --all-failed [--since T] [--dry-run] [--yes]
  ops dlq list | show <ref> | replay <ref>|--all [--dry-run] [--yes]

Every command takes --json for machine-readable output and --help for its own usage.
Environment: KAFKA_BROKERS, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (see README).`;

const COMMANDS: Record<
  string,
  { help: string; run: (ctx: CliContext, args: string[], flags: Flags) => Promise<void> }
> = {
  submit: { help: SUBMIT_HELP, run: (ctx, args, flags) => submitCommand(ctx, args, flags) },
  status: { help: STATUS_HELP, run: (ctx, args, flags) => statusCommand(ctx, args, flags) },
  queue: { help: QUEUE_HELP, run: (ctx, args) => queueCommand(ctx, args) },
  show: { help: SHOW_HELP, run: (ctx, args) => showCommand(ctx, args) },
  decide: { help: DECIDE_HELP, run: (ctx, args, flags) => decideCommand(ctx, args, flags) },
  ops: { help: OPS_HELP, run: (ctx, args, flags) => opsCommand(ctx, args, flags) },
};

async function main(argv: string[]): Promise<number> {
  let parsed: ParsedFlags;
  try {
    parsed = parseFlags(argv);
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${HELP}`, 2);
  }
  const [name, ...args] = parsed.positionals;
  if (!name) {
    console.log(HELP);
    return parsed.values.help ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliError(`unknown command "${name}"\n\n${HELP}`, 2);
  if (parsed.values.help) {
    console.log(command.help);
    return 0;
  }
  const ctx = new CliContext({ json: parsed.values.json });
  try {
    await command.run(ctx, args, parsed.values);
  } finally {
    await ctx.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliError || error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      process.exit(error instanceof CliError ? error.exitCode : 2);
    }
    console.error(error);
    process.exit(1);
  },
);
