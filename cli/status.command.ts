import { setTimeout as sleep } from 'node:timers/promises';
import { FINAL_STATUSES } from '../domain/clearance-state.js';
import type { ClearanceSnapshot } from '../workflows/messages.js';
import { CliError } from './cli-error.js';
import type { CliContext } from './cli-context.js';
import { lookupClearance, type ClearanceLookup } from './clearance-lookup.js';

export const STATUS_HELP = `Usage: ventanilla status <declarationId> [--watch] [--json]

Shows a declaration's clearance: the overall status, each agency's state and who decided
(a rule or an officer), open reasons, and what the trader must do next.
  --watch   keep printing each change until the clearance is final (Ctrl-C stops watching)`;

export async function statusCommand(
  ctx: CliContext,
  args: string[],
  flags: { watch: boolean },
): Promise<void> {
  const declarationId = args[0];
  if (!declarationId) throw new CliError(`status needs a declarationId\n\n${STATUS_HELP}`, 2);
  const client = await ctx.temporal();
  let lastSequence = -1;
  for (;;) {
    const lookup = await lookupClearance(client, declarationId);
    const sequence = lookup.snapshot?.sequence ?? 0;
    if (sequence !== lastSequence) {
      lastSequence = sequence;
      ctx.print(lookup, () => renderClearance(lookup));
    }
    const final =
      lookup.execution !== 'RUNNING' || (lookup.snapshot && FINAL_STATUSES.has(lookup.snapshot.status));
    if (!flags.watch || final) return;
    await sleep(1000);
  }
}

export function renderClearance(lookup: ClearanceLookup): string {
  const { snapshot } = lookup;
  if (!snapshot)
    return `${lookup.workflowId}: workflow ${lookup.execution}${lookup.failure ? ` (${lookup.failure})` : ''}`;
  const { declaration, event } = snapshot;
  const lines = [
    `${declaration.declarationId}  ${snapshot.status}   (sequence ${snapshot.sequence}, workflow ${snapshot.workflowId}, ${lookup.execution.toLowerCase()})`,
    `  trader   ${declaration.trader.taxId}  ${declaration.trader.name}`,
    ...signedLines(snapshot),
    `  regime   ${declaration.regime}, customs office ${declaration.customsOffice}, ${declaration.items.length} item(s), received ${snapshot.receivedAt}`,
    '  agencies',
  ];
  for (const review of snapshot.reviews) {
    const decided = [...(event.decisions ?? [])].reverse().find((d) => d.agency === review.agency);
    const by = decided
      ? `${decided.by}${decided.officer ? ` (${decided.officer})` : ''} at ${decided.at}`
      : review.mode === 'queue'
        ? 'officer queue'
        : 'automatic';
    const deadline =
      review.deadline && (review.state === 'PENDING' || review.state === 'OVERDUE')
        ? `, deadline ${review.deadline}`
        : '';
    lines.push(
      `    ${review.agency.padEnd(12)} ${review.state.padEnd(13)} round ${review.round}, ${by}${deadline}`,
    );
  }
  if (event.reasons.length > 0) {
    lines.push('  reasons');
    for (const reason of event.reasons)
      lines.push(`    ${reason.agency ? `[${reason.agency}] ` : ''}${reason.code}: ${reason.message}`);
  }
  const next = nextStep(snapshot);
  if (next) lines.push(`  next     ${next}`);
  return lines.join('\n');
}

function nextStep(snapshot: ClearanceSnapshot): string | undefined {
  switch (snapshot.status) {
    case 'AWAITING_TRADER':
      return 'the trader must send an amendment with what the agencies asked for (see reasons)';
    case 'IN_REVIEW':
    case 'RECEIVED':
      return 'waiting for the agencies';
    case 'FAILED':
      return 'an operator must fix the cause and replay it (npx ventanilla ops failed)';
    default:
      return undefined;
  }
}

/** Who signed what the clearance accepted (design.md §10): one line per signed audit entry. */
function signedLines(snapshot: ClearanceSnapshot): string[] {
  const signed = snapshot.audit.filter((entry) => entry.signer);
  if (signed.length === 0) return [];
  return [
    '  signed by',
    ...signed.map(
      ({ type, signer, agency }) =>
        `    ${(agency ? `${type} ${agency}` : type).padEnd(20)} ${signer!.rfc}  serial ${signer!.serial}  sha256 ${signer!.fingerprint.slice(0, 16)}…`,
    ),
  ];
}
