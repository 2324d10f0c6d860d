import type {
  AgencyMode,
  Amendment,
  AgencyState,
  Declaration,
  DeadlinePolicy,
  DocumentType,
  OverallStatus,
  Outcome,
  Reason,
  StatusDecision,
  StatusEvent,
  Withdrawal,
} from '../schemas/types.js';
import { agencyView, sameFingerprint, viewFingerprint } from './agency-view.js';
import {
  boundedConditions,
  boundedReasons,
  clip,
  DECISION_REASONS,
  OFFICER_MAX,
  STATUS_DECISIONS_MAX,
  STATUS_REASONS,
} from './bounded-text.js';
import type { AgencyRoute } from './routing.js';
import { ReasonCode, type Refusal } from './failures.js';

// Pure state of one clearance and the transitions on it. The workflow owns the timers, activities
// and messages; everything that decides *what* happens lives here, so tests can check it without
// a server and the workflow stays a thin shell around it.

export type { AgencyMode };

export interface AgencyPolicy {
  mode: AgencyMode;
  deadline: string;
  deadlinePolicy: DeadlinePolicy;
}

export interface Review {
  agency: string;
  state: AgencyState;
  round: number;
  lineNos: number[];
  requiredDocuments: DocumentType[];
  fingerprint: string;
  /** The reasons of this agency's latest decision, shown on the status until it decides again. */
  reasons: Reason[];
}

export type StatusReason = StatusEvent['reasons'][number];

export interface ClearanceState {
  declaration: Declaration;
  withdrawn: boolean;
  /** FAILED is set only by the workflow shell, when it gives up on an activity. */
  failed: boolean;
  reviews: Review[];
  decisions: StatusDecision[];
}

export const FINAL_STATUSES: ReadonlySet<OverallStatus> = new Set([
  'CLEARED',
  'REJECTED',
  'WITHDRAWN',
  'FAILED',
]);
const OPEN_STATES: ReadonlySet<AgencyState> = new Set(['PENDING', 'OVERDUE', 'REQUEST_INFO']);
const AWAITING_DECISION: ReadonlySet<AgencyState> = new Set(['PENDING', 'OVERDUE']);

/** The status reducer of design.md §5: the overall status is a function of the agencies' states. */
export function overallStatus(
  state: Pick<ClearanceState, 'reviews' | 'withdrawn' | 'failed'>,
): OverallStatus {
  if (state.failed) return 'FAILED';
  if (state.withdrawn) return 'WITHDRAWN';
  const states = state.reviews.map((r) => r.state);
  if (states.includes('REJECTED')) return 'REJECTED';
  // No required agency at all means nothing stands between the trader and clearance.
  if (states.every((s) => s === 'APPROVED')) return 'CLEARED';
  if (states.includes('REQUEST_INFO')) return 'AWAITING_TRADER';
  return 'IN_REVIEW';
}

export function isFinal(state: ClearanceState): boolean {
  return FINAL_STATUSES.has(overallStatus(state));
}

/** What the workflow shell must do after a transition. */
export interface Effects {
  /** Agencies whose review (a new round) must start now. */
  startReviews: string[];
  /** Agencies whose running review must stop, and who must be told (`review-withdrawn`). */
  withdrawReviews: Array<{ agency: string; round: number; reason: Reason }>;
  /** A one-off reason to show on the next status event (a refusal, a duplicate, ...). */
  notices: StatusReason[];
}

export interface Transition {
  state: ClearanceState;
  effects: Effects;
}

const noEffects = (): Effects => ({ startReviews: [], withdrawReviews: [], notices: [] });

function reviewFor(
  declaration: Declaration,
  route: AgencyRoute,
  policy: AgencyPolicy,
  round: number,
): Review {
  const view = agencyView(declaration, route, { round, deadlinePolicy: policy.deadlinePolicy });
  return {
    agency: route.agency,
    state: 'PENDING',
    round,
    lineNos: route.lineNos,
    requiredDocuments: route.requiredDocuments,
    fingerprint: viewFingerprint(view),
    reasons: [],
  };
}

export function initialState(
  declaration: Declaration,
  routes: AgencyRoute[],
  policies: Record<string, AgencyPolicy>,
): Transition {
  const reviews = routes.map((route) => reviewFor(declaration, route, policyOf(policies, route.agency), 1));
  return {
    state: { declaration, withdrawn: false, failed: false, reviews, decisions: [] },
    effects: { ...noEffects(), startReviews: reviews.map((r) => r.agency) },
  };
}

function policyOf(policies: Record<string, AgencyPolicy>, agency: string): AgencyPolicy {
  const policy = policies[agency];
  if (!policy) throw new Error(`routing names agency ${agency}, which the registry does not define`);
  return policy;
}

export interface DecisionInput {
  agency: string;
  outcome: Outcome;
  reasons: Reason[];
  by: 'auto' | 'officer';
  officer?: string;
  at: string;
  conditions?: string[];
  /** Who signed it, when an officer or agency system did (the archive keeps it with the decision). */
  signer?: StatusDecision['signer'];
}

/** Why a decision cannot apply now, or undefined when it can. Used by the update validator too. */
export function decisionRefusal(state: ClearanceState, agency: string): Refusal | undefined {
  if (isFinal(state)) {
    return { code: ReasonCode.DeclarationClosed, message: `declaration is already ${overallStatus(state)}` };
  }
  const review = state.reviews.find((r) => r.agency === agency);
  if (!review)
    return { code: ReasonCode.AgencyNotRequired, message: `${agency} is not required for this declaration` };
  if (!AWAITING_DECISION.has(review.state)) {
    return {
      code: ReasonCode.NotPending,
      message: `${agency} is not awaiting a decision (it is ${review.state})`,
    };
  }
  return undefined;
}

export function applyDecision(state: ClearanceState, decision: DecisionInput): Transition {
  const refusal = decisionRefusal(state, decision.agency);
  if (refusal)
    return { state, effects: { ...noEffects(), notices: [{ agency: decision.agency, ...refusal }] } };
  const reviews = state.reviews.map((r) =>
    r.agency === decision.agency
      ? { ...r, state: decision.outcome as AgencyState, reasons: decision.reasons }
      : r,
  );
  const record: StatusDecision = {
    agency: decision.agency,
    outcome: decision.outcome,
    by: decision.by,
    at: decision.at,
    reasons: decision.reasons,
    ...(decision.officer ? { officer: decision.officer } : {}),
    ...(decision.conditions?.length ? { conditions: decision.conditions } : {}),
    ...(decision.signer ? { signer: decision.signer } : {}),
  };
  const next = { ...state, reviews, decisions: [...state.decisions, record] };
  if (decision.outcome !== 'REJECTED') return { state: next, effects: noEffects() };
  // One rejection ends the declaration: every other open review is withdrawn and its agency told.
  const reason = {
    code: ReasonCode.RejectedByOtherAgency,
    message: `${decision.agency} rejected the declaration`,
  };
  return withdrawOpenReviews(next, reason, decision.agency);
}

function withdrawOpenReviews(state: ClearanceState, reason: Reason, except?: string): Transition {
  const withdrawReviews: Effects['withdrawReviews'] = [];
  const reviews = state.reviews.map((r) => {
    if (r.agency === except || !OPEN_STATES.has(r.state)) return r;
    withdrawReviews.push({ agency: r.agency, round: r.round, reason });
    return { ...r, state: 'WITHDRAWN' as const };
  });
  return { state: { ...state, reviews }, effects: { ...noEffects(), withdrawReviews } };
}

export function amendmentRefusal(state: ClearanceState): Refusal | undefined {
  if (isFinal(state)) {
    return {
      code: ReasonCode.DeclarationClosed,
      message: `declaration is already ${overallStatus(state)} and cannot be amended`,
    };
  }
  return undefined;
}

/** An amendment's items and/or documents replace the declaration's whole. */
export function amendedDeclaration(
  declaration: Declaration,
  amendment: Pick<Amendment, 'items' | 'documents'>,
): Declaration {
  return {
    ...declaration,
    items: amendment.items ?? declaration.items,
    documents: amendment.documents ?? declaration.documents,
  };
}

/**
 * Applies an amendment: items and/or documents replace the old ones whole. Only the agencies
 * whose view changed, or which asked for information, review again (design.md §5); agencies the
 * new items no longer need are withdrawn, and newly needed ones start.
 */
export function applyAmendment(
  state: ClearanceState,
  amendment: Pick<Amendment, 'items' | 'documents'>,
  reroute: (declaration: Declaration) => AgencyRoute[],
  policies: Record<string, AgencyPolicy>,
): Transition {
  const refusal = amendmentRefusal(state);
  if (refusal) return { state, effects: { ...noEffects(), notices: [refusal] } };
  const declaration = amendedDeclaration(state.declaration, amendment);
  const effects = noEffects();
  const reviews: Review[] = [];
  const routes = reroute(declaration);
  for (const route of routes) {
    const previous = state.reviews.find((r) => r.agency === route.agency);
    const round = (previous?.round ?? 0) + 1;
    const candidate = reviewFor(declaration, route, policyOf(policies, route.agency), round);
    const unchanged =
      previous &&
      sameFingerprint(previous.fingerprint, candidate.fingerprint) &&
      previous.state !== 'REQUEST_INFO';
    if (unchanged) {
      reviews.push(previous);
      continue;
    }
    if (previous && AWAITING_DECISION.has(previous.state)) {
      effects.withdrawReviews.push({
        agency: previous.agency,
        round: previous.round,
        reason: {
          code: ReasonCode.SupersededByAmendment,
          message: 'the declaration was amended; a new review follows',
        },
      });
    }
    reviews.push(candidate);
    effects.startReviews.push(route.agency);
  }
  for (const previous of state.reviews) {
    if (routes.some((r) => r.agency === previous.agency) || !OPEN_STATES.has(previous.state)) continue;
    effects.withdrawReviews.push({
      agency: previous.agency,
      round: previous.round,
      reason: { code: ReasonCode.NoLongerRequired, message: 'after the amendment no item needs this agency' },
    });
  }
  return { state: { ...state, declaration, reviews }, effects };
}

export function withdrawalRefusal(state: ClearanceState): Refusal | undefined {
  if (isFinal(state)) {
    return {
      code: ReasonCode.DeclarationClosed,
      message: `declaration is already ${overallStatus(state)} and cannot be withdrawn`,
    };
  }
  return undefined;
}

export function applyWithdrawal(state: ClearanceState, withdrawal: Pick<Withdrawal, 'reason'>): Transition {
  const refusal = withdrawalRefusal(state);
  if (refusal) return { state, effects: { ...noEffects(), notices: [refusal] } };
  // Intake validated the reason; a withdrawal sent to the workflow some other way may not be. The
  // same reason goes to the agencies (review-withdrawn), whose schema allows a decision reason.
  const [reason] = boundedReasons([{ code: ReasonCode.WithdrawnByTrader, message: withdrawal.reason }]) as [
    Reason,
  ];
  const transition = withdrawOpenReviews({ ...state, withdrawn: true }, reason);
  return { state: transition.state, effects: { ...transition.effects, notices: [reason] } };
}

/**
 * A review's deadline passed. ESCALATE marks it OVERDUE and keeps waiting; AUTO_APPROVE is the
 * afirmativa ficta, AUTO_REJECT the negativa ficta. A deadline of an older round is ignored.
 */
export function applyDeadline(
  state: ClearanceState,
  agency: string,
  round: number,
  policy: DeadlinePolicy,
  at: string,
): Transition {
  const review = state.reviews.find((r) => r.agency === agency);
  if (!review || review.round !== round || review.state !== 'PENDING' || isFinal(state)) {
    return { state, effects: noEffects() };
  }
  if (policy === 'ESCALATE') {
    const reviews = state.reviews.map((r) => (r.agency === agency ? { ...r, state: 'OVERDUE' as const } : r));
    return {
      state: { ...state, reviews },
      effects: {
        ...noEffects(),
        notices: [
          { agency, code: ReasonCode.DeadlineEscalated, message: `${agency} missed its deadline; escalated` },
        ],
      },
    };
  }
  const approve = policy === 'AUTO_APPROVE';
  return applyDecision(state, {
    agency,
    outcome: approve ? 'APPROVED' : 'REJECTED',
    by: 'auto',
    at,
    reasons: [
      approve
        ? {
            code: ReasonCode.AfirmativaFicta,
            message: `${agency} did not decide before its deadline; approved by law (afirmativa ficta)`,
          }
        : {
            code: ReasonCode.DeadlineExpired,
            message: `${agency} did not decide before its deadline; rejected (negativa ficta)`,
          },
    ],
  });
}

/** How many of the latest decisions a status event carries (the audit trail has them all). */
const DECISIONS_SHOWN = Math.min(50, STATUS_DECISIONS_MAX);

/**
 * A recorded decision as the status schema allows it. Officers' decisions arrive validated, but
 * automatic ones are built here and by adapters: be defensive. Within bounds: the same object.
 */
function boundedDecision(decision: StatusDecision): StatusDecision {
  const reasons = boundedReasons(decision.reasons, DECISION_REASONS);
  const conditions = decision.conditions && boundedConditions(decision.conditions);
  const officer = decision.officer && clip(decision.officer, OFFICER_MAX);
  if (reasons === decision.reasons && conditions === decision.conditions && officer === decision.officer)
    return decision;
  return {
    agency: decision.agency,
    outcome: decision.outcome,
    by: decision.by,
    at: decision.at,
    reasons,
    ...(officer ? { officer } : {}),
    ...(conditions?.length ? { conditions } : {}),
    ...(decision.signer ? { signer: decision.signer } : {}),
  };
}

/**
 * The status event for the current state, less `at`, which the publishing activity stamps.
 * Whatever the state and the notices, the event fits the status event schema: messages are
 * clipped, and a reasons list longer than allowed keeps the agencies' reasons first, then the
 * notices, its last entry saying how many were left out.
 */
export function statusEvent(
  state: ClearanceState,
  sequence: number,
  notices: StatusReason[],
): Omit<StatusEvent, 'at'> {
  const agencies: Record<string, AgencyState> = {};
  const reasons: StatusReason[] = [];
  for (const review of state.reviews) {
    agencies[review.agency] = review.state;
    if (review.state !== 'APPROVED')
      for (const reason of review.reasons) reasons.push({ agency: review.agency, ...reason });
  }
  return {
    declarationId: state.declaration.declarationId,
    sequence,
    status: overallStatus(state),
    agencies,
    reasons: boundedReasons([...reasons, ...notices], STATUS_REASONS),
    // The full history is in the audit trail; the event carries the latest decisions only.
    decisions: state.decisions.slice(-DECISIONS_SHOWN).map(boundedDecision),
    traderTaxId: state.declaration.trader.taxId,
    regime: state.declaration.regime,
  };
}
