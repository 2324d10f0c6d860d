import type { Client } from '@temporalio/client';
import type { AgencyDecision } from '../schemas/types.js';
import { declarationWorkflowId } from './workflow-ids.js';
import { decideUpdate, type SignerRecord, type UpdateAck } from '../workflows/messages.js';

/**
 * Applies an agency decision to its clearance through the `decide` update. The workflow remembers
 * applied decisionIds, so a repeat (a redelivered Kafka record, an officer pressing enter twice)
 * is answered `duplicate: true` and changes nothing. (The update ID is left to the client: reusing
 * the decisionId would make the server hand back the first answer, hiding that it was a repeat.)
 * Throws WorkflowNotFoundError when no clearance is open, WorkflowUpdateFailedError when the
 * workflow's validator refuses it (not pending, closed, unknown agency, malformed).
 */
export function submitDecision(
  client: Client,
  decision: AgencyDecision,
  signer?: SignerRecord,
): Promise<UpdateAck> {
  return client.workflow
    .getHandle(declarationWorkflowId(decision.declarationId))
    .executeUpdate(decideUpdate, { args: [{ decision, ...(signer ? { signer } : {}) }] });
}
