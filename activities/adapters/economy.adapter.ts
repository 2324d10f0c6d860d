import { ReasonCode } from '../../domain/failures.js';
import { boundedReasons, clip, DECISION_REASONS, lineList } from '../../domain/bounded-text.js';
import type { AgencyAdapter } from './adapter.js';
import { checkRequiredDocuments } from './documents.adapter.js';

function embargoed(country: string, lineNos: number[]): string {
  if (lineNos.length === 1) return `item ${lineNos[0]} originates in ${country}, which is under embargo`;
  const frame = (list: string) =>
    `${lineNos.length} items originate in ${country}, which is under embargo: lines ${list}`;
  return clip(
    frame(lineList(lineNos, DECISION_REASONS.maxLength - frame('').length)),
    DECISION_REASONS.maxLength,
  );
}

/** Economy: embargoed origins are rejected outright; otherwise the permits it requires must be there. */
export const economyAdapter: AgencyAdapter = (input) => {
  const embargo = new Set(input.embargo);
  // One reason per embargoed country, in the order the items name them, with all its lines.
  const hits = new Map<string, number[]>();
  for (const item of input.request.items) {
    if (!embargo.has(item.originCountry)) continue;
    const lines = hits.get(item.originCountry) ?? [];
    lines.push(item.lineNo);
    hits.set(item.originCountry, lines);
  }
  if (hits.size > 0) {
    return {
      outcome: 'REJECTED',
      reasons: boundedReasons(
        [...hits].map(([country, lineNos]) => ({
          code: ReasonCode.OriginEmbargoed,
          message: embargoed(country, lineNos),
        })),
      ),
    };
  }
  return checkRequiredDocuments(input.request);
};
