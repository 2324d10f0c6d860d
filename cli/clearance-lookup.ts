import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { declarationWorkflowId } from '../clearance-client/workflow-ids.js';
import { clearanceHandle, clearanceResult, queryStatus } from '../clearance-client/clearance-calls.js';
import type { ClearanceSnapshot } from '../workflows/messages.js';
import { CliError } from './cli-error.js';

export interface ClearanceLookup {
  workflowId: string;
  /** Temporal's view: RUNNING, COMPLETED, FAILED, TERMINATED, ... */
  execution: string;
  snapshot?: ClearanceSnapshot;
  failure?: string;
}

/** The current state of a declaration's clearance, from the workflow itself (query or result). */
export async function lookupClearance(client: Client, declarationId: string): Promise<ClearanceLookup> {
  const workflowId = declarationWorkflowId(declarationId);
  const handle = clearanceHandle(client, declarationId);
  let execution: string;
  try {
    execution = (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      throw new CliError(
        `no clearance for ${declarationId}. If it was just submitted, intake may not have started it yet; ` +
          'if it was invalid, it is in the dead-letter topic (npx ventanilla ops dlq list).',
      );
    }
    throw error;
  }
  if (execution === 'COMPLETED')
    return { workflowId, execution, snapshot: await clearanceResult(client, declarationId) };
  try {
    return { workflowId, execution, snapshot: await queryStatus(client, declarationId, 5_000) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (execution === 'RUNNING') {
      throw new CliError(
        `the clearance of ${declarationId} is running but did not answer (${message}); are the workers up (npm start)?`,
      );
    }
    return { workflowId, execution, failure: message };
  }
}
