import { ReasonCode } from '../../domain/failures.js';
import { createHmac } from 'node:crypto';
import type { AgencyAdapter } from './adapter.js';
import { checkRequiredDocuments } from './documents.adapter.js';

/**
 * Where a declaration falls in [0, 1) for risk selection. A keyed hash (HMAC) makes the choice
 * stable across retries and replays, yet unpredictable to a trader who does not know the key.
 */
export function riskScore(riskKey: string, declarationId: string): number {
  return createHmac('sha256', riskKey).update(declarationId).digest().readUInt32BE(0) / 2 ** 32;
}

/** Customs: required documents, then risk selection for inspection (which delays, never decides). */
export const customsAdapter: AgencyAdapter = (input, context) => {
  const decision = checkRequiredDocuments(input.request);
  const { inspection } = input;
  if (decision.outcome !== 'APPROVED' || !inspection) return decision;
  if (riskScore(context.riskKey, input.request.declarationId) >= inspection.share) return decision;
  return {
    ...decision,
    reasons: [
      {
        code: ReasonCode.Inspected,
        message: 'selected for physical inspection by risk analysis; inspection completed',
      },
    ],
    inspection: { delay: inspection.delay },
  };
};
