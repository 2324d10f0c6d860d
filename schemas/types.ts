// Every message type is derived from its schema; there is no hand-written copy to drift.
import type { FromSchema } from 'json-schema-to-ts';
import type { agencyDecisionSchema } from './agency-decision.schema.js';
import type { agencyRequestSchema } from './agency-request.schema.js';
import type { amendmentSchema } from './amendment.schema.js';
import type {
  agencyState,
  DECIDED_BY,
  deadlinePolicy,
  documentRef,
  documentType,
  item,
  outcome,
  overallStatus,
  reason,
  regime,
  trader,
} from './common.schema.js';
import type { deadLetterSchema, DEAD_LETTER_REASONS } from './dead-letter.schema.js';
import type { declarationSchema } from './declaration.schema.js';
import type { AGENCY_MODES, agencyEntry, registrySchema, routingRule } from './registry.schema.js';
import type { statusEventSchema } from './status-event.schema.js';
import type { traderMessageSchema } from './trader-message.schema.js';
import type { withdrawalSchema } from './withdrawal.schema.js';

export type Declaration = FromSchema<typeof declarationSchema>;
export type Amendment = FromSchema<typeof amendmentSchema>;
export type Withdrawal = FromSchema<typeof withdrawalSchema>;
export type TraderMessage = FromSchema<typeof traderMessageSchema>;
export type TraderMessageKind = TraderMessage['kind'];
export type AgencyDecision = FromSchema<typeof agencyDecisionSchema>;
export type AgencyRequest = FromSchema<typeof agencyRequestSchema>;
export type ReviewRequest = Extract<AgencyRequest, { kind: 'review-request' }>;
export type ReviewWithdrawn = Extract<AgencyRequest, { kind: 'review-withdrawn' }>;
export type StatusEvent = FromSchema<typeof statusEventSchema>;
export type StatusDecision = NonNullable<StatusEvent['decisions']>[number];
export type DeadLetterRecord = FromSchema<typeof deadLetterSchema>;

export type Item = FromSchema<typeof item>;
export type DocumentRef = FromSchema<typeof documentRef>;
export type Trader = FromSchema<typeof trader>;
export type Reason = FromSchema<typeof reason>;
export type Regime = FromSchema<typeof regime>;
export type DocumentType = FromSchema<typeof documentType>;
export type OverallStatus = FromSchema<typeof overallStatus>;
export type AgencyState = FromSchema<typeof agencyState>;
export type Outcome = FromSchema<typeof outcome>;
export type DeadlinePolicy = FromSchema<typeof deadlinePolicy>;
export type DecidedBy = (typeof DECIDED_BY)[number];
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export type Registry = FromSchema<typeof registrySchema>;
export type AgencyEntry = FromSchema<typeof agencyEntry>;
export type RoutingRule = FromSchema<typeof routingRule>;
export type AgencyMode = (typeof AGENCY_MODES)[number];

/** One readable validation problem; the dead-letter record stores a list of these. */
export type FieldError = DeadLetterRecord['errors'][number];
