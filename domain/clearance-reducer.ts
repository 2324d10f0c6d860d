import type { AgencyDecision, Amendment, Declaration, DeadlinePolicy, Withdrawal } from '../schemas/types.js';
import { boundedEntry, describeDecision, signedBy, type AuditEntry, type SignerRecord } from './audit.js';
import { clip, STATUS_REASONS } from './bounded-text.js';
import {
  amendmentRefusal,
  applyAmendment,
  applyDeadline,
  applyDecision,
  applyWithdrawal,
  withdrawalRefusal,
  type AgencyPolicy,
  type ClearanceState,
  type DecisionInput,
  type Effects,
  type Transition,
} from './clearance-state.js';
import { ReasonCode, type Refusal } from './failures.js';
import type { AgencyRoute } from './routing.js';

// The clearance reducer: every message and every result a clearance receives is a command, and
// `reduce` says what it does: the next state, the effects for the workflow to carry out, the
// audit entries it writes, and a typed refusal when it changes nothing. The workflow keeps what
// this returns and runs the effects; it decides nothing itself.

export type ClearanceCommand =
  | { kind: 'officer-decision'; decision: AgencyDecision; signer?: SignerRecord }
  | { kind: 'review-decision'; agency: string; round: number; decision: DecisionInput }
  | { kind: 'deadline'; agency: string; round: number; at: string }
  | { kind: 'amendment'; amendment: Amendment; receivedAt: string; signer?: SignerRecord }
  | { kind: 'withdrawal'; withdrawal: Withdrawal; receivedAt: string; source?: string; signer?: SignerRecord }
  | { kind: 'duplicate'; receivedAt: string; source: string }
  | {
      kind: 'rejected-input';
      inputKind: string;
      receivedAt: string;
      source: string;
      messages: string[];
      /** The refusal's reason code (a signature's, say); INVALID_INPUT when absent. */
      code?: string;
    }
  | { kind: 'inspection-selected'; agency: string }
  | { kind: 'review-failed'; agency: string; message: string }
  /** The clearance closes as failed: its last audit entry. */
  | { kind: 'failure'; agency: string; message: string; at: string };

export interface ClearanceRules {
  policies: Record<string, AgencyPolicy>;
  reroute: (declaration: Declaration) => AgencyRoute[];
}

/** What the clearance remembers besides its state: the ids it applied (idempotency). */
export interface Applied {
  has(id: string): boolean;
}

export interface Step extends Transition {
  /** Audit entries this command writes, in order, each within its bound. */
  audit: AuditEntry[];
  /** Why the command was received but changed nothing (the declaration is closed, ...). */
  refusal?: Refusal;
  /** The command was applied before: nothing changed, and nothing is written. */
  duplicate?: true;
  /** The id to remember, so that a repeat of this command is a duplicate. */
  remember?: string;
  /** Running reviews to stop without telling their agency (an officer decided instead). */
  stopReviews?: string[];
  /** The amendment the status events now answer to. */
  amendmentId?: string;
  /** The review that failed the clearance, and why. */
  failed?: { agency: string; message: string };
  /** Nothing changed: the workflow keeps no state and tells no one (a stale round's answer). */
  unchanged?: true;
}

const nothing = (state: ClearanceState): Step => ({
  state,
  effects: { startReviews: [], withdrawReviews: [], notices: [] },
  audit: [],
  unchanged: true,
});

const noticeOnly = (
  state: ClearanceState,
  notice: Effects['notices'][number],
  audit: AuditEntry[] = [],
): Step => ({
  state,
  effects: { startReviews: [], withdrawReviews: [], notices: [notice] },
  audit: audit.map(boundedEntry),
});

export function reduce(
  state: ClearanceState,
  applied: Applied,
  command: ClearanceCommand,
  rules: ClearanceRules,
): Step {
  switch (command.kind) {
    case 'officer-decision':
      return officerDecision(state, applied, command.decision, command.signer);
    case 'review-decision':
      return reviewDecision(state, command.agency, command.round, command.decision);
    case 'deadline':
      return deadline(state, command, rules.policies[command.agency]?.deadlinePolicy ?? 'ESCALATE');
    case 'amendment':
      return amendment(state, applied, command, rules);
    case 'withdrawal':
      return withdrawal(state, applied, command);
    case 'duplicate':
      return noticeOnly(
        state,
        {
          code: ReasonCode.DuplicateConflict,
          message: `a different declaration was submitted with the same declarationId (${command.source}); it was not merged. Send an amendment to change a declaration.`,
        },
        [
          {
            at: command.receivedAt,
            type: 'duplicate',
            by: 'trader',
            ref: command.source,
            detail: 'conflicting resubmission refused',
          },
        ],
      );
    case 'rejected-input':
      return rejectedInput(state, command);
    case 'inspection-selected':
      return noticeOnly(state, {
        agency: command.agency,
        code: ReasonCode.InspectionSelected,
        message: 'selected for physical inspection; clearance waits for it',
      });
    case 'review-failed':
      return {
        ...noticeOnly(
          { ...state, failed: true },
          {
            agency: command.agency,
            code: ReasonCode.AgencyReviewFailed,
            message: `the ${command.agency} review failed: ${command.message}`,
          },
        ),
        failed: { agency: command.agency, message: command.message },
      };
    case 'failure': {
      const { agency, message, at } = command;
      const entry = boundedEntry({ at, type: 'failure', agency, by: 'system', detail: message });
      return { state, effects: { startReviews: [], withdrawReviews: [], notices: [] }, audit: [entry] };
    }
  }
}

/** A decision of the agency's current round; an answer of a round a newer review replaced changes nothing. */
function reviewDecision(
  state: ClearanceState,
  agency: string,
  round: number,
  decision: DecisionInput,
  signer?: SignerRecord,
): Step {
  const review = state.reviews.find((r) => r.agency === agency);
  if (!review || review.round !== round) return nothing(state);
  const entry: AuditEntry = {
    at: decision.at,
    type: 'decision',
    by: decision.officer ?? decision.by,
    agency,
    detail: describeDecision(decision),
    ...signedBy(signer),
  };
  return { ...applyDecision(state, decision), audit: [boundedEntry(entry)] };
}

/** An officer's decision replaces whatever automatic review was still running for the agency. */
function officerDecision(
  state: ClearanceState,
  applied: Applied,
  decision: AgencyDecision,
  signer?: SignerRecord,
): Step {
  if (applied.has(decision.decisionId)) return { ...nothing(state), duplicate: true };
  const round = state.reviews.find((r) => r.agency === decision.agency)?.round ?? 0;
  const step = reviewDecision(
    state,
    decision.agency,
    round,
    {
      agency: decision.agency,
      outcome: decision.outcome,
      reasons: decision.reasons,
      by: 'officer',
      officer: decision.officer,
      at: decision.at,
      conditions: decision.conditions,
      ...signedBy(signer),
    },
    signer,
  );
  return { ...step, remember: decision.decisionId, stopReviews: [decision.agency] };
}

function deadline(
  state: ClearanceState,
  { agency, round, at }: { agency: string; round: number; at: string },
  policy: DeadlinePolicy,
): Step {
  const current = state.reviews.find((r) => r.agency === agency);
  if (current?.round !== round) return nothing(state);
  const entry: AuditEntry = {
    at,
    type: 'deadline',
    agency,
    by: 'system',
    detail: `deadline passed; policy ${policy}`,
  };
  return { ...applyDeadline(state, agency, round, policy, at), audit: [entry] };
}

function amendment(
  state: ClearanceState,
  applied: Applied,
  { amendment, receivedAt, signer }: { amendment: Amendment; receivedAt: string; signer?: SignerRecord },
  rules: ClearanceRules,
): Step {
  const id = amendment.amendmentId;
  if (applied.has(id)) return { ...nothing(state), duplicate: true };
  const refusal = amendmentRefusal(state);
  if (refusal) {
    const entry: AuditEntry = {
      at: receivedAt,
      type: 'refused',
      by: 'trader',
      ref: id,
      detail: refusal.message,
      ...signedBy(signer),
    };
    return { ...noticeOnly(state, refusal, [entry]), refusal, remember: id };
  }
  const transition = applyAmendment(state, amendment, rules.reroute, rules.policies);
  const again = transition.effects.startReviews;
  const entry: AuditEntry = {
    at: receivedAt,
    type: 'amendment',
    by: 'trader',
    ref: id,
    detail: again.length
      ? `amended; review again: ${again.join(', ')}`
      : 'amended; no agency needs to review again',
    ...signedBy(signer),
  };
  return { ...transition, audit: [entry], remember: id, amendmentId: id };
}

function withdrawal(
  state: ClearanceState,
  applied: Applied,
  {
    withdrawal,
    receivedAt,
    source,
    signer,
  }: { withdrawal: Withdrawal; receivedAt: string; source?: string; signer?: SignerRecord },
): Step {
  const ref = withdrawalRef(withdrawal, source) ?? 'withdrawal';
  if (applied.has(ref)) return { ...nothing(state), duplicate: true };
  const refusal = withdrawalRefusal(state);
  const entry: AuditEntry = {
    at: receivedAt,
    type: refusal ? 'refused' : 'withdrawal',
    by: 'trader',
    ref,
    detail: refusal?.message ?? withdrawal.reason,
    ...signedBy(signer),
  };
  const step: Step = { ...applyWithdrawal(state, withdrawal), audit: [boundedEntry(entry)], remember: ref };
  return refusal ? { ...step, refusal } : step;
}

/**
 * What names a withdrawal: its withdrawalId, or else the record it came in. Without a
 * withdrawalId each withdrawal record is its own: a second one is refused and recorded, and only
 * a redelivery of the same record (same source) is a repeat.
 */
export function withdrawalRef(
  withdrawal: Pick<Withdrawal, 'withdrawalId'>,
  source?: string,
): string | undefined {
  return withdrawal.withdrawalId ?? source;
}

function rejectedInput(
  state: ClearanceState,
  notice: { inputKind: string; receivedAt: string; source: string; messages: string[]; code?: string },
): Step {
  const detail = notice.messages.join('; ');
  return noticeOnly(
    state,
    {
      code: notice.code ?? ReasonCode.InvalidInput,
      message: clip(`${notice.inputKind} rejected: ${detail}`, STATUS_REASONS.maxLength),
    },
    [{ at: notice.receivedAt, type: 'input-rejected', by: 'trader', ref: notice.source, detail }],
  );
}
