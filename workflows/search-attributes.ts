import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes of the clearance workflow. Operators' and officers' lists are Temporal
 * visibility queries over these, so there is no second database to keep in sync. The local stack
 * registers every key listed in SEARCH_ATTRIBUTES; a cluster operator registers the same list.
 */
export const DeclarationStatus = defineSearchAttributeKey('DeclarationStatus', SearchAttributeType.KEYWORD);
export const TraderTaxId = defineSearchAttributeKey('TraderTaxId', SearchAttributeType.KEYWORD);
export const Regime = defineSearchAttributeKey('Regime', SearchAttributeType.KEYWORD);
export const PendingAgencies = defineSearchAttributeKey('PendingAgencies', SearchAttributeType.KEYWORD_LIST);
export const QueuedAgencies = defineSearchAttributeKey('QueuedAgencies', SearchAttributeType.KEYWORD_LIST);
export const NextDeadline = defineSearchAttributeKey('NextDeadline', SearchAttributeType.DATETIME);
export const FailedAgency = defineSearchAttributeKey('FailedAgency', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  DeclarationStatus,
  TraderTaxId,
  Regime,
  PendingAgencies,
  QueuedAgencies,
  NextDeadline,
  FailedAgency,
] as const;
