import type { Declaration, ReviewRequest } from '../schemas/types.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
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

/**
 * Two views with the same fingerprint need no second review after an amendment. A SHA-256 (hex)
 * of the view's canonical JSON, not the JSON itself: the fingerprint lives in the state that every
 * continue-as-new carries, and a large view would make that input break Temporal's payload limit.
 */
export function viewFingerprint(
  view: Pick<ReviewDraft, 'items' | 'documents' | 'requiredDocuments'>,
): string {
  return sha256Hex(canonicalJson([view.items, view.documents, view.requiredDocuments]));
}

/**
 * Whether two fingerprints name the same view. Runs started before fingerprints were hashed carry
 * the canonical JSON itself; it is hashed here so that it compares with a new one.
 */
export function sameFingerprint(previous: string, current: string): boolean {
  const hashed = /^[0-9a-f]{64}$/.test(previous) ? previous : sha256Hex(previous);
  const now = /^[0-9a-f]{64}$/.test(current) ? current : sha256Hex(current);
  return hashed === now;
}

function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
