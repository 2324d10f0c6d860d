import type { ReviewDraft } from '../../workflows/agency-view.js';
import type { AdapterDecision, AgencyAdapter } from './adapter.js';

/** The baseline check of every agency: approve when each document it requires is present. */
export function checkRequiredDocuments(request: ReviewDraft): AdapterDecision {
  const present = new Set(request.documents.map((d) => d.type));
  const missing = request.requiredDocuments.filter((type) => !present.has(type));
  if (missing.length === 0) return { outcome: 'APPROVED', reasons: [] };
  return {
    outcome: 'REQUEST_INFO',
    reasons: missing.map((type) => ({
      code: 'MISSING_DOCUMENT',
      message: `${request.agency} requires document ${type} for item(s) ${request.items.map((i) => i.lineNo).join(', ')}; amend the declaration to add it`,
    })),
  };
}

export const documentsAdapter: AgencyAdapter = (input) => checkRequiredDocuments(input.request);
