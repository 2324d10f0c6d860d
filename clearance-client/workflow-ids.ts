// The one mapping between a declaration and its clearance workflow. Every service, command and
// operator tool that addresses a clearance goes through here.

const WORKFLOW_ID_PREFIX = 'declaration-';

/**
 * The workflow ID of a declaration. NEVER change this mapping: it is the deduplication key that
 * makes Kafka redelivery and trader resubmission start no second clearance, and running
 * declarations are found by it.
 */
export function declarationWorkflowId(declarationId: string): string {
  return `${WORKFLOW_ID_PREFIX}${declarationId}`;
}

/** The inverse of declarationWorkflowId; an ID it did not make is returned as it is. */
export function declarationIdOf(workflowId: string): string {
  return workflowId.startsWith(WORKFLOW_ID_PREFIX) ? workflowId.slice(WORKFLOW_ID_PREFIX.length) : workflowId;
}
