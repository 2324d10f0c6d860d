import type { Outcome, Reason } from '../../schemas/types.js';
import type { ReviewDraft } from '../../domain/agency-view.js';

/** What the workflow sends an agency's automatic review: its view plus the registry data it needs. */
export interface ReviewInput {
  request: ReviewDraft;
  /** Name of the adapter the registry assigns to this agency. */
  adapter: string;
  embargo: string[];
  /** Present only for the agency that performs risk selection. */
  inspection?: { share: number; delay: string };
}

export interface AdapterDecision {
  outcome: Outcome;
  reasons: Reason[];
  conditions?: string[];
  /** Set when the declaration was selected for inspection: approval waits this long. */
  inspection?: { delay: string };
}

export interface AdapterContext {
  /** Secret key of the risk-selection hash. */
  riskKey: string;
}

/**
 * An agency's automatic decision. Adapters are pure functions of their input (and the worker's
 * secret key), so a retried activity decides exactly as the first attempt did.
 */
export type AgencyAdapter = (input: ReviewInput, context: AdapterContext) => AdapterDecision;
