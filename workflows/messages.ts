import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AgencyDecision,
  Amendment,
  Declaration,
  OverallStatus,
  Reason,
  Registry,
  StatusEvent,
  Withdrawal,
} from '../schemas/types.js';
import type { ReviewDraft } from '../domain/agency-view.js';
import type { AuditEntry, SignerRecord } from '../domain/audit.js';
import type { ClearanceState } from '../domain/clearance-state.js';

export type { AuditEntry, SignerRecord };

// The clearance workflow's public surface. Clients (intake, decision bridge, CLI) and tests import
// this module, never the workflow code itself.

export interface ClearanceInput {
  declaration: Declaration;
  /** The registry as it was when the declaration arrived; the workflow never reads a newer one. */
  registry: Registry;
  /** Task queue of each agency's reviews (`agency-<code>` by default). */
  taskQueues: Record<string, string>;
  /**
   * Status sequences start above this (the Kafka timestamp, in ms, of the record that opened the
   * clearance), so they also order after any event intake published for an earlier rejected input.
   */
  sequenceBase: number;
  receivedAt: string;
  /** SHA-256 of the declaration as submitted; a resubmission with another hash is a conflict. */
  contentHash: string;
  /** Who signed the declaration (verified by intake); recorded in the audit trail's first entry. */
  signer?: SignerRecord;
  /**
   * Intake published the opening events (RECEIVED, IN_REVIEW: `openingEvents`) and set the
   * matching search attributes at start, so the workflow starts from them instead of publishing
   * them itself: one local activity, one marker and one upsert fewer per declaration, and intake
   * sends the opening events of many declarations in one produce request.
   */
  openingPublished?: boolean;
  /**
   * Automatic reviews run without a cancellation scope each: a stopped one is abandoned (its late
   * result dropped) instead of cancelled, which saves the scope's promises. Set by every start of
   * this version; runs started before lack it and keep their scopes on replay.
   */
  autoReviewsUnscoped?: boolean;
  /**
   * Progress from automatic reviews (one agency approved, the status unchanged) waits while
   * another automatic review is about to answer: the trader gets one status event for the
   * answers of a few milliseconds instead of one per agency, and each one saved is a local
   * activity, a marker and an upsert fewer. Changes of status, refusals and officers' decisions
   * are published at once. Set by every start of this version; runs started before lack it and
   * replay publishing each decision, as they were recorded.
   */
  autoProgressHeld?: boolean;
  /**
   * Status events go out through the worker's status sink (`StatusSinks`), awaited by the SDK
   * before the workflow task completes, instead of a local activity: per clearance one workflow
   * activation, one local activity and one marker fewer for every status the workflow publishes.
   * Set by every start of this version; runs started before lack it and replay their local
   * activities as recorded.
   */
  statusBySink?: boolean;
  /** Runs before this one (continue-as-new). */
  run?: number;
  /** How long the workflow stays open after a final status, answering duplicates and late messages. */
  closedRetention: string;
  /** History length after which the workflow continues as new at its next quiet moment. */
  continueAsNewAfterEvents?: number;
  /** History size in bytes after which it does too (DEFAULT_CONTINUE_AS_NEW_BYTES when absent). */
  continueAsNewAfterBytes?: number;
  /** State carried over by continue-as-new. */
  carried?: CarriedState;
}

/**
 * Temporal's server suggests continue-as-new at 4 MiB of history by default, and terminates a
 * workflow at 50 MiB; each payload may be at most 2 MiB.
 */
export const DEFAULT_CONTINUE_AS_NEW_BYTES = 4 * 1024 * 1024;

export interface CarriedState {
  /** Without the declaration since it is the next run's input (older runs carried it here too). */
  state: Omit<ClearanceState, 'declaration'> & { declaration?: ClearanceState['declaration'] };
  sequence: number;
  audit: AuditEntry[];
  /** How many of the oldest audit entries were dropped to keep the carried state bounded. */
  auditDropped: number;
  appliedIds: string[];
  deadlines: Record<string, string>;
  lastEvent: Omit<StatusEvent, 'at'>;
  lastAmendmentId?: string;
  /** Set when a closed clearance continued as new: when its final status was published. */
  closedAt?: string;
}

export interface ClearanceSnapshot {
  workflowId: string;
  status: OverallStatus;
  sequence: number;
  event: Omit<StatusEvent, 'at'>;
  declaration: Declaration;
  reviews: Array<
    ClearanceState['reviews'][number] & { mode: 'auto' | 'queue'; deadline?: string; deadlinePolicy: string }
  >;
  audit: AuditEntry[];
  auditDropped: number;
  receivedAt: string;
  /** Runs of this clearance so far (continue-as-new keeps long histories within Temporal's limits). */
  run: number;
}

export interface AgencyViewAnswer {
  declarationId: string;
  status: OverallStatus;
  /** Undefined when the agency is not required for this declaration. */
  review?: ReviewDraft & { state: string; deadline?: string; receivedAt: string; mode: 'auto' | 'queue' };
}

export interface UpdateAck {
  accepted: boolean;
  status: OverallStatus;
  /** Why a message was received but changed nothing (e.g. the declaration is already closed). */
  refusal?: Reason;
  /** True when the same id was applied before: a repeat is a no-op, not an error. */
  duplicate?: boolean;
}

export interface AmendmentCommand {
  amendment: Amendment;
  receivedAt: string;
  /** Who signed it, verified by intake against the declaration's trader. */
  signer?: SignerRecord;
}

export interface WithdrawalCommand {
  withdrawal: Withdrawal;
  receivedAt: string;
  /** The record it came in (`topic:partition:offset`): a withdrawal without withdrawalId is known by it. */
  source?: string;
  signer?: SignerRecord;
}

export interface DecisionCommand {
  decision: AgencyDecision;
  /** Who signed it, verified against the deciding agency (the bridge, or the CLI's own certificate). */
  signer?: SignerRecord;
}

export interface DuplicateNotice {
  contentHash: string;
  receivedAt: string;
  source: string;
}

export interface RejectedInputNotice {
  kind: string;
  receivedAt: string;
  source: string;
  messages: string[];
  /** The reason code the trader sees (e.g. SIGNER_MISMATCH); INVALID_INPUT when absent. */
  code?: string;
}

export const statusQuery = defineQuery<ClearanceSnapshot>('status');
/** One agency's view only (its items and documents), for that agency's officers. */
export const agencyViewQuery = defineQuery<AgencyViewAnswer, [string]>('agencyView');
export const amendUpdate = defineUpdate<UpdateAck, [AmendmentCommand]>('amend');
export const withdrawUpdate = defineUpdate<UpdateAck, [WithdrawalCommand]>('withdraw');
export const decideUpdate = defineUpdate<UpdateAck, [DecisionCommand]>('decide');
export const duplicateSignal = defineSignal<[DuplicateNotice]>('duplicateSubmission');
export const rejectedInputSignal = defineSignal<[RejectedInputNotice]>('inputRejected');

export const CLEARANCE_WORKFLOW_TYPE = 'clearanceWorkflow';
