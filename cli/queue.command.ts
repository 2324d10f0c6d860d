import { declarationIdOf } from '../clearance-client/workflow-ids.js';
import { QueuedAgencies } from '../workflows/search-attributes.js';
import type { AgencyViewAnswer } from '../workflows/messages.js';
import { type CliContext } from './cli-context.js';
import { agencyView, knownAgency } from './officer-lookup.js';

export const QUEUE_HELP = `Usage: ventanilla queue <AGENCY> [--json]

An agency's pending review requests (queue mode), nearest deadline first: declaration, trader,
the items routed to the agency, how long it has waited, and its deadline (OVERDUE when passed).
Decide with: ventanilla decide <AGENCY> <declarationId> approve|reject|request-info`;

export async function queueCommand(ctx: CliContext, args: string[]): Promise<void> {
  const agency = knownAgency(ctx, args[0], QUEUE_HELP);
  const client = await ctx.temporal();
  // Visibility is the queue: no second database to keep in step with the workflows.
  const query = `${QueuedAgencies.name} = '${agency}' AND ExecutionStatus = 'Running' AND TaskQueue = '${ctx.config.taskQueue}'`;
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query }))
    ids.push(declarationIdOf(execution.workflowId));
  const views = (await Promise.all(ids.map((id) => agencyView(client, agency, id)))).filter(
    (v): v is AgencyViewAnswer & { review: NonNullable<AgencyViewAnswer['review']> } =>
      Boolean(v.review && (v.review.state === 'PENDING' || v.review.state === 'OVERDUE')),
  );
  views.sort((a, b) => (a.review.deadline ?? '9999').localeCompare(b.review.deadline ?? '9999'));
  const now = Date.now();
  const rows = views.map(({ declarationId, review }) => ({
    declarationId,
    trader: review.trader,
    items: review.items.map((i) => ({ lineNo: i.lineNo, hsCode: i.hsCode, description: i.description })),
    state: review.state,
    round: review.round,
    receivedAt: review.receivedAt,
    ageMinutes: Math.round((now - Date.parse(review.receivedAt)) / 60_000),
    deadline: review.deadline,
    deadlinePolicy: review.deadlinePolicy,
  }));
  ctx.print({ agency, pending: rows }, () => {
    if (rows.length === 0) return `${agency}: no pending requests.`;
    const lines = [`${agency}: ${rows.length} pending, nearest deadline first`];
    for (const r of rows) {
      const overdue =
        r.state === 'OVERDUE' || (r.deadline && Date.parse(r.deadline) < now) ? '  OVERDUE' : '';
      lines.push(
        `  ${r.declarationId}  ${r.trader.taxId} ${r.trader.name}`,
        `    items    ${r.items.map((i) => `#${i.lineNo} ${i.hsCode} ${i.description}`).join('; ')}`,
        `    waiting  ${r.ageMinutes} min (round ${r.round}); deadline ${r.deadline ?? 'not yet set'} (${r.deadlinePolicy})${overdue}`,
      );
    }
    return lines.join('\n');
  });
}
