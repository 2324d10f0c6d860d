import type { Declaration, ReviewRequest } from '../schemas/types.js';
import { canonicalJson } from './canonical-json.js';
import type { AgencyRoute } from './routing.js';

/** A review request before the publishing activity stamps its time and absolute deadline. */
export type ReviewDraft = Omit<ReviewRequest, 'at' | 'deadline'>;

/**
 * Data minimisation: an agency sees the declaration's header, only the items routed to it, and
 * only the documents it requires. Nothing another agency needs leaks into its view.
 */
export function agencyView(
  declaration: Declaration,
  route: AgencyRoute,
  review: Pick<ReviewDraft, 'round' | 'deadlinePolicy'>,
): ReviewDraft {
  const lines = new Set(route.lineNos);
  const required = new Set<string>(route.requiredDocuments);
  return {
    kind: 'review-request',
    declarationId: declaration.declarationId,
    agency: route.agency,
    round: review.round,
    regime: declaration.regime,
    customsOffice: declaration.customsOffice,
    trader: declaration.trader,
    items: declaration.items.filter((item) => lines.has(item.lineNo)),
    documents: declaration.documents.filter((doc) => required.has(doc.type)),
    requiredDocuments: route.requiredDocuments,
    deadlinePolicy: review.deadlinePolicy,
  };
}

/** Two views with the same fingerprint need no second review after an amendment. */
export function viewFingerprint(
  view: Pick<ReviewDraft, 'items' | 'documents' | 'requiredDocuments'>,
): string {
  return canonicalJson([view.items, view.documents, view.requiredDocuments]);
}
