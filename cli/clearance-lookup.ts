import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { declarationWorkflowId } from '../clearance-client/workflow-ids.js';
import { statusQuery, type ClearanceSnapshot } from '../workflows/messages.js';
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
  const handle = client.workflow.getHandle(workflowId);
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
    return { workflowId, execution, snapshot: (await handle.result()) as ClearanceSnapshot };
  try {
    // A query needs a worker; bound the wait so a stopped pipeline gives an answer, not a hang.
    const snapshot = await client.connection.withDeadline(Date.now() + 5_000, () =>
      handle.query(statusQuery),
    );
    return { workflowId, execution, snapshot };
  } catch (error) {
    if (execution === 'RUNNING') {
      throw new CliError(
        `the clearance of ${declarationId} is running but did not answer (${(error as Error).message}); are the workers up (npm start)?`,
      );
    }
    return { workflowId, execution, failure: (error as Error).message };
  }
}
