import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { loadRegistry } from '../runtime/registry.js';
import { queryAgencyView } from '../clearance-client/clearance-calls.js';
import type { AgencyViewAnswer } from '../workflows/messages.js';
import { CliError } from './cli-error.js';
import type { CliContext } from './cli-context.js';

/** The agency code as the registry knows it, or a clear error listing the known ones. */
export function knownAgency(ctx: CliContext, agency: string | undefined, usage: string): string {
  if (!agency) throw new CliError(`an agency is required\n\n${usage}`, 2);
  const code = agency.toUpperCase();
  const known = loadRegistry(ctx.config).agencies.map((a) => a.code);
  if (!known.includes(code))
    throw new CliError(`unknown agency "${agency}"; known agencies: ${known.join(', ')}`);
  return code;
}

/** One agency's view of a declaration, straight from its clearance (never the whole declaration). */
export async function agencyView(
  client: Client,
  agency: string,
  declarationId: string,
): Promise<AgencyViewAnswer> {
  try {
    return await queryAgencyView(client, agency, declarationId, 10_000);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new CliError(`no declaration ${declarationId}`);
    throw new CliError(
      `cannot read ${declarationId} (${error instanceof Error ? error.message : String(error)}); are the workers up (npm start)?`,
    );
  }
}
