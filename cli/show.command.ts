import { CliError } from './cli-error.js';
import type { CliContext } from './cli-context.js';
import { agencyView, knownAgency } from './officer-lookup.js';

export const SHOW_HELP = `Usage: ventanilla show <AGENCY> <declarationId> [--json]

The agency's own view of one declaration: the header, only the items routed to it, only the
documents it requires. An officer never sees what other agencies need and his does not.`;

export async function showCommand(ctx: CliContext, args: string[]): Promise<void> {
  const agency = knownAgency(ctx, args[0], SHOW_HELP);
  const declarationId = args[1];
  if (!declarationId) throw new CliError(`show needs a declarationId\n\n${SHOW_HELP}`, 2);
  const answer = await agencyView(await ctx.temporal(), agency, declarationId);
  const { review } = answer;
  if (!review) throw new CliError(`${agency} is not required for ${declarationId}, so it has no view of it`);
  ctx.print({ agency, ...answer }, () =>
    [
      `${declarationId} for ${agency}: ${review.state} (round ${review.round}, ${review.mode}); declaration ${answer.status}`,
      `  trader     ${review.trader.taxId} ${review.trader.name}`,
      `  regime     ${review.regime}, customs office ${review.customsOffice}, received ${review.receivedAt}`,
      `  deadline   ${review.deadline ?? 'none'} (${review.deadlinePolicy})`,
      '  items',
      ...review.items.map(
        (i) =>
          `    #${i.lineNo} ${i.hsCode} ${i.description}, ${i.quantity} ${i.unit} from ${i.originCountry}, ${i.value.amount} ${i.value.currency}`,
      ),
      `  requires   ${review.requiredDocuments.join(', ') || 'no documents'}`,
      '  documents',
      ...(review.documents.length
        ? review.documents.map((d) => `    ${d.type} ${d.reference}`)
        : ['    (none)']),
    ].join('\n'),
  );
}
