import { ReasonCode } from '../../domain/failures.js';
import type { DocumentType } from '../../schemas/types.js';
import type { ReviewDraft } from '../../domain/agency-view.js';
import { boundedReasons, clip, DECISION_REASONS, lineList } from '../../domain/bounded-text.js';
import type { AdapterDecision, AgencyAdapter } from './adapter.js';

/**
 * "for item 3", "for 2 items (lines 3, 7)", "for 120 items (lines 1, 3, …, and 80 more)": the
 * count and as many line numbers as fit in a reason message together with `around`.
 */
export function itemsPhrase(lineNos: readonly number[], around: (phrase: string) => string): string {
  const count = new Set(lineNos).size;
  if (count === 0) return around('for its items');
  if (count === 1) return around(`for item ${lineNos[0]}`);
  const frame = (list: string) => around(`for ${count} items (lines ${list})`);
  return clip(
    frame(lineList(lineNos, DECISION_REASONS.maxLength - frame('').length)),
    DECISION_REASONS.maxLength,
  );
}

function missingDocument(request: ReviewDraft, type: DocumentType): string {
  return itemsPhrase(
    request.items.map((i) => i.lineNo),
    (items) => `${request.agency} requires document ${type} ${items}; amend the declaration to add it`,
  );
}

/** The baseline check of every agency: approve when each document it requires is present. */
export function checkRequiredDocuments(request: ReviewDraft): AdapterDecision {
  const present = new Set(request.documents.map((d) => d.type));
  const missing = request.requiredDocuments.filter((type) => !present.has(type));
  if (missing.length === 0) return { outcome: 'APPROVED', reasons: [] };
  return {
    outcome: 'REQUEST_INFO',
    // One reason per missing document type, whatever the number of items.
    reasons: boundedReasons(
      missing.map((type) => ({ code: ReasonCode.MissingDocument, message: missingDocument(request, type) })),
    ),
  };
}

export const documentsAdapter: AgencyAdapter = (input) => checkRequiredDocuments(input.request);
