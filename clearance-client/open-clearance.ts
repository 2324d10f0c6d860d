import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { RetryLater } from '../domain/failures.js';
import { declarationWorkflowId } from './workflow-ids.js';

/**
 * An update can miss its clearance while the clearance continues as new (the old run closed, the
 * new one is starting). Callers ask this before treating "not found" as final: if a run is open
 * again, the message is retried instead of dead-lettered.
 */
export async function assertNoOpenClearance(client: Client, declarationId: string): Promise<void> {
  try {
    const { status } = await client.workflow.getHandle(declarationWorkflowId(declarationId)).describe();
    if (status.name === 'RUNNING')
      throw new RetryLater(`clearance ${declarationId} is open again (continued as new); retrying`);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}
