import { matchesPattern } from '../schemas/common.schema.js';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { WorkflowNotFoundError } from '@temporalio/common';
import { errorLines } from '../schemas/format-errors.js';
import type { Outcome } from '../schemas/types.js';
import { check, validateAgencyDecision } from '../schemas/validators.js';
import { submitDecision } from '../clearance-client/decision-submit.js';
import { updateRefusal } from '../clearance-client/update-refusal.js';
import { CliError } from './cli-error.js';
import type { CliContext } from './cli-context.js';
import { knownAgency } from './officer-lookup.js';
import { signedDecision } from './decision-signing.js';
import type { SigningFlags } from './signing-choice.js';

export const DECIDE_HELP = `Usage: ventanilla decide <AGENCY> <declarationId> approve|reject|request-info
         [--reason CODE:message]... [--condition text]... [--decision-id ID]
         [--cert F --key F --password-file F] [--officer RFC] [--json]

Records an officer's decision on a pending request of the agency. reject and request-info need at
least one --reason (e.g. --reason MISSING_DOCUMENT:"lab analysis certificate"). --decision-id makes a
retry safe: the same ID twice is applied once.

The decision is signed by the officer's certificate (--cert/--key/--password-file, or else the
development PKI's officer of the agency), whose OU must be the agency; the officer recorded is the
certificate's holder, and --officer naming anybody else is refused.`;

const OUTCOMES: Record<string, Outcome> = {
  approve: 'APPROVED',
  reject: 'REJECTED',
  'request-info': 'REQUEST_INFO',
};

export async function decideCommand(
  ctx: CliContext,
  args: string[],
  flags: { reason?: string[]; condition?: string[]; officer?: string; 'decision-id'?: string } & SigningFlags,
): Promise<void> {
  const agency = knownAgency(ctx, args[0], DECIDE_HELP);
  const [, declarationId, verb] = args;
  const outcome = verb ? OUTCOMES[verb] : undefined;
  if (!declarationId || !outcome)
    throw new CliError(`decide needs a declarationId and approve|reject|request-info\n\n${DECIDE_HELP}`, 2);
  const reasons = (flags.reason ?? []).map(parseReason);
  if (outcome !== 'APPROVED' && reasons.length === 0) {
    throw new CliError(`${verb} needs at least one --reason CODE:message, so the trader learns why`, 2);
  }
  const draft = {
    decisionId: flags['decision-id'] ?? `${agency}-${randomBytes(8).toString('hex')}`,
    declarationId,
    agency,
    at: new Date().toISOString(),
    outcome,
    reasons,
    ...(flags.condition?.length ? { conditions: flags.condition } : {}),
  };
  const checked = check(validateAgencyDecision, { ...draft, officer: flags.officer ?? 'unsigned' });
  if (!checked.ok) throw new CliError(`invalid decision:\n  ${errorLines(checked.errors).join('\n  ')}`, 2);
  const { decision, signer } =
    ctx.config.signatures === 'off'
      ? { decision: { ...draft, officer: flags.officer ?? `cli:${userInfo().username}` }, signer: undefined }
      : await signedDecision(ctx, draft, flags);
  try {
    const ack = await submitDecision(await ctx.temporal(), decision, signer);
    ctx.print({ decision, ack }, () =>
      ack.duplicate
        ? `decision ${decision.decisionId} was already applied; nothing changed (declaration ${ack.status})`
        : `${agency} ${outcome} ${declarationId} (decision ${decision.decisionId}); declaration is now ${ack.status}`,
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new CliError(`no open declaration ${declarationId}`);
    const refusal = updateRefusal(error);
    if (refusal) {
      const again = refusal.retryable ? ' (send it again in a moment)' : '';
      throw new CliError(`refused: ${refusal.message}${again}`);
    }
    throw error;
  }
}

function parseReason(text: string): { code: string; message: string } {
  const at = text.indexOf(':');
  const code = (at < 0 ? text : text.slice(0, at)).trim().toUpperCase();
  const message = (at < 0 ? code : text.slice(at + 1)).trim();
  if (!matchesPattern('reasonCode', code) || !message) {
    throw new CliError(
      `--reason must look like CODE:message (e.g. MISSING_DOCUMENT:lab certificate), got "${text}"`,
      2,
    );
  }
  return { code, message };
}
