import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  agencyViewQuery,
  amendUpdate,
  duplicateSignal,
  rejectedInputSignal,
  statusQuery,
  withdrawUpdate,
  type AgencyViewAnswer,
  type AmendmentCommand,
  type ClearanceSnapshot,
  type DuplicateNotice,
  type RejectedInputNotice,
  type UpdateAck,
  type WithdrawalCommand,
} from '../workflows/messages.js';
import { withdrawalRef } from '../domain/clearance-reducer.js';
import type { clearanceWorkflow } from '../workflows/clearance.workflow.js';
import { declarationWorkflowId } from './workflow-ids.js';
import { TraderTaxId } from '../workflows/search-attributes.js';

// Every call a service, command or tool makes to a declaration's clearance goes through here.

/** The handle of a declaration's clearance (whatever its run). */
export function clearanceHandle(
  client: Client,
  declarationId: string,
): WorkflowHandle<typeof clearanceWorkflow> {
  return client.workflow.getHandle<typeof clearanceWorkflow>(declarationWorkflowId(declarationId));
}

/**
 * The trader (RFC) whose declaration the clearance is, from its search attributes: an amendment
 * or withdrawal must be signed by the same one. Undefined when there is no such clearance.
 */
export async function clearanceTrader(client: Client, declarationId: string): Promise<string | undefined> {
  try {
    const description = await clearanceHandle(client, declarationId).describe();
    return description.typedSearchAttributes.get(TraderTaxId);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** What a completed clearance returned: its snapshot as it closed. */
export function clearanceResult(client: Client, declarationId: string): Promise<ClearanceSnapshot> {
  return clearanceHandle(client, declarationId).result();
}

/** A query needs a worker: bounded, so that a stopped pipeline gives an answer, not a hang. */
export function queryStatus(
  client: Client,
  declarationId: string,
  timeoutMs: number,
): Promise<ClearanceSnapshot> {
  return client.connection.withDeadline(Date.now() + timeoutMs, () =>
    clearanceHandle(client, declarationId).query(statusQuery),
  );
}

/** One agency's view only (its items and documents), never the whole declaration. */
export function queryAgencyView(
  client: Client,
  agency: string,
  declarationId: string,
  timeoutMs: number,
): Promise<AgencyViewAnswer> {
  return client.connection.withDeadline(Date.now() + timeoutMs, () =>
    clearanceHandle(client, declarationId).query(agencyViewQuery, agency),
  );
}

/** The update ID is the amendment's: a redelivered record is answered, not applied, by the server. */
export function amendClearance(client: Client, command: AmendmentCommand): Promise<UpdateAck> {
  const { amendment } = command;
  return clearanceHandle(client, amendment.declarationId).executeUpdate(amendUpdate, {
    args: [command],
    updateId: `amend-${amendment.amendmentId}`,
  });
}

/** Without a withdrawalId, the record it came in (`source`) names the withdrawal. */
export function withdrawClearance(client: Client, command: WithdrawalCommand): Promise<UpdateAck> {
  const { withdrawal, source } = command;
  const ref = withdrawalRef(withdrawal, source);
  return clearanceHandle(client, withdrawal.declarationId).executeUpdate(withdrawUpdate, {
    args: [command],
    ...(ref ? { updateId: `withdraw-${ref}` } : {}),
  });
}

export function signalDuplicate(
  client: Client,
  declarationId: string,
  notice: DuplicateNotice,
): Promise<void> {
  return clearanceHandle(client, declarationId).signal(duplicateSignal, notice);
}

export function signalRejectedInput(
  client: Client,
  declarationId: string,
  notice: RejectedInputNotice,
): Promise<void> {
  return clearanceHandle(client, declarationId).signal(rejectedInputSignal, notice);
}
