import type { AgencyAdapter } from './adapter.js';
import { checkRequiredDocuments } from './documents.adapter.js';

/** Economy: embargoed origins are rejected outright; otherwise the permits it requires must be there. */
export const economyAdapter: AgencyAdapter = (input) => {
  const embargoed = new Set(input.embargo);
  const hits = input.request.items.filter((item) => embargoed.has(item.originCountry));
  if (hits.length > 0) {
    return {
      outcome: 'REJECTED',
      reasons: hits.map((item) => ({
        code: 'ORIGIN_EMBARGOED',
        message: `item ${item.lineNo} originates in ${item.originCountry}, which is under embargo`,
      })),
    };
  }
  return checkRequiredDocuments(input.request);
};
