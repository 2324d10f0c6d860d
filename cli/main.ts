import { IdentityError } from '../identity/identity-error.js';
import { ConfigError } from '../runtime/config.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { parseFlags, type Flags, type ParsedFlags } from './flags.js';

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

Identity
  pki init | issue trader|officer|operator --rfc RFC --name "..." [--agency CODE] | revoke <serial> | list
                                        the development PKI: CA, certificates, revocations
  sign <file|-> [--cert F --key F [--password-file F]]
                                        the detached signature of a message's exact bytes
  token --rfc RFC | --cert F --key F    a one-time bearer token for the trader API (5 minutes)

Every command takes --json for machine-readable output and --help for its own usage.
Environment: KAFKA_BROKERS, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, VENTANILLA_HOME,
VENTANILLA_TRUST_DIR, VENTANILLA_SIGNATURES (see README).`;

interface Command {
  help: string;
  run: (ctx: CliContext, args: string[], flags: Flags) => Promise<void>;
}

// Each command is loaded only when it runs: together they pull in the Temporal client (gRPC,
// protobufs), kafkajs and the compiled JSON Schemas, which is most of a second at every start,
// and `ventanilla --help` or a mistyped command needs none of it.
const COMMANDS: Record<string, () => Promise<Command>> = {
  submit: async () => {
    const { SUBMIT_HELP, submitCommand } = await import('./submit.command.js');
    return { help: SUBMIT_HELP, run: submitCommand };
  },
  status: async () => {
    const { STATUS_HELP, statusCommand } = await import('./status.command.js');
    return { help: STATUS_HELP, run: statusCommand };
  },
  queue: async () => {
    const { QUEUE_HELP, queueCommand } = await import('./queue.command.js');
    return { help: QUEUE_HELP, run: queueCommand };
  },
  show: async () => {
    const { SHOW_HELP, showCommand } = await import('./show.command.js');
    return { help: SHOW_HELP, run: showCommand };
  },
  decide: async () => {
    const { DECIDE_HELP, decideCommand } = await import('./decide.command.js');
    return { help: DECIDE_HELP, run: decideCommand };
  },
  ops: async () => {
    const { OPS_HELP, opsCommand } = await import('./ops.command.js');
    return { help: OPS_HELP, run: opsCommand };
  },
  pki: async () => {
    const { PKI_HELP, pkiCommand } = await import('./pki.command.js');
    return { help: PKI_HELP, run: pkiCommand };
  },
  sign: async () => {
    const { SIGN_HELP, signCommand } = await import('./sign.command.js');
    return { help: SIGN_HELP, run: signCommand };
  },
  token: async () => {
    const { TOKEN_HELP, tokenCommand } = await import('./token.command.js');
    return { help: TOKEN_HELP, run: tokenCommand };
  },
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
  const load = COMMANDS[name];
  if (!load) throw new CliError(`unknown command "${name}"\n\n${HELP}`, 2);
  const command = await load();
  if (parsed.values.help) {
    console.log(command.help);
    return 0;
  }
  const { CliContext } = await import('./cli-context.js');
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
    // An IdentityError says its fix (a wrong password, a missing trust store): no stack trace.
    if (error instanceof CliError || error instanceof ConfigError || error instanceof IdentityError) {
      console.error(`error: ${error.message}`);
      process.exit(error instanceof CliError ? error.exitCode : error instanceof IdentityError ? 1 : 2);
    }
    console.error(error);
    process.exit(1);
  },
);
