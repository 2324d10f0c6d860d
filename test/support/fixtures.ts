// Valid sample messages for tests anywhere in the repo. Ids are unique per call so that tests
// which share a Kafka topic or a Temporal namespace never collide on a declarationId.
import { randomUUID } from 'node:crypto';
import type {
  AgencyDecision,
  Amendment,
  DeadLetterRecord,
  Declaration,
  Item,
  ReviewRequest,
  ReviewWithdrawn,
  StatusEvent,
  Withdrawal,
} from '../../schemas/types.js';

const AT = '2025-03-14T09:30:00Z';

/** A fresh id that matches the id pattern, e.g. `DEC-3f2a…`. */
export function uniqueId(prefix = 'DEC'): string {
  return `${prefix}-${randomUUID()}`;
}

/**
 * An IMPORT of fresh avocados (HS 0804.40, chapter 08) from the US with the INVOICE and the
 * PHYTOSANITARY_CERTIFICATE it needs, so the baseline routing sends it to CUSTOMS and
 * AGRICULTURE and both approve.
 */
export function sampleDeclaration(overrides: Partial<Declaration> = {}): Declaration {
  return {
    kind: 'declaration',
    declarationId: uniqueId(),
    trader: { taxId: 'AME970512KX3', name: 'Aguacates del Norte SA de CV' },
    regime: 'IMPORT',
    customsOffice: '240',
    items: [
      {
        lineNo: 1,
        hsCode: '08044000',
        description: 'Fresh Hass avocados',
        originCountry: 'US',
        quantity: 18000,
        unit: 'kg',
        value: { amount: 41400, currency: 'USD' },
      },
    ],
    documents: [
      { type: 'INVOICE', reference: 'INV-2025-0042' },
      { type: 'PHYTOSANITARY_CERTIFICATE', reference: 'PHY-US-2025-7781' },
    ],
    submittedAt: AT,
    ...overrides,
  };
}

/** Adds a certificate of origin to a declaration's documents. */
export function sampleAmendment(overrides: Partial<Amendment> = {}): Amendment {
  const documents = [
    ...sampleDeclaration().documents,
    { type: 'CERTIFICATE_OF_ORIGIN', reference: 'COO-881' } as const,
  ];
  return {
    kind: 'amendment',
    declarationId: uniqueId(),
    amendmentId: uniqueId('AMD'),
    documents,
    submittedAt: AT,
    ...overrides,
  };
}

export function sampleWithdrawal(overrides: Partial<Withdrawal> = {}): Withdrawal {
  return {
    kind: 'withdrawal',
    declarationId: uniqueId(),
    reason: 'Shipment cancelled by the supplier',
    submittedAt: AT,
    ...overrides,
  };
}

export function sampleAgencyDecision(overrides: Partial<AgencyDecision> = {}): AgencyDecision {
  return {
    decisionId: uniqueId('DCS'),
    declarationId: uniqueId(),
    agency: 'AGRICULTURE',
    officer: 'officer-17',
    at: AT,
    outcome: 'APPROVED',
    reasons: [],
    ...overrides,
  };
}

export function sampleReviewRequest(overrides: Partial<ReviewRequest> = {}): ReviewRequest {
  const { declarationId, regime, customsOffice, trader, items, documents } = sampleDeclaration();
  return {
    kind: 'review-request',
    declarationId,
    agency: 'AGRICULTURE',
    round: 1,
    at: AT,
    regime,
    customsOffice,
    trader,
    items,
    documents,
    requiredDocuments: ['PHYTOSANITARY_CERTIFICATE'],
    deadline: '2025-03-17T09:30:00Z',
    deadlinePolicy: 'ESCALATE',
    ...overrides,
  };
}

export function sampleReviewWithdrawn(overrides: Partial<ReviewWithdrawn> = {}): ReviewWithdrawn {
  return {
    kind: 'review-withdrawn',
    declarationId: uniqueId(),
    agency: 'HEALTH',
    round: 1,
    at: AT,
    reason: { code: 'REJECTED_BY_OTHER_AGENCY', message: 'ECONOMY rejected the declaration' },
    ...overrides,
  };
}

export function sampleStatusEvent(overrides: Partial<StatusEvent> = {}): StatusEvent {
  return {
    declarationId: uniqueId(),
    at: AT,
    sequence: 3,
    status: 'IN_REVIEW',
    agencies: { CUSTOMS: 'APPROVED', AGRICULTURE: 'PENDING' },
    reasons: [],
    decisions: [{ agency: 'CUSTOMS', outcome: 'APPROVED', by: 'auto', at: AT, reasons: [] }],
    ...overrides,
  };
}

export function sampleDeadLetter(overrides: Partial<DeadLetterRecord> = {}): DeadLetterRecord {
  const value = '{"kind":"declaracion"}';
  return {
    ref: 'trade.declarations:0:42',
    at: AT,
    source: { topic: 'trade.declarations', partition: 0, offset: '42' },
    key: null,
    headers: { 'content-type': 'application/json' },
    valueBase64: Buffer.from(value).toString('base64'),
    valueSize: Buffer.byteLength(value),
    reason: 'UNKNOWN_KIND',
    errors: [
      { path: 'kind', message: 'must be one of "declaration", "amendment", "withdrawal", got "declaracion"' },
    ],
    ...overrides,
  };
}

/** A plain item of the given HS code, for tests that care only about routing. */
export function sampleItem(lineNo: number, hsCode: string, originCountry = 'US'): Item {
  return {
    lineNo,
    hsCode,
    description: `goods ${hsCode}`,
    originCountry,
    quantity: 10,
    unit: 'kg',
    value: { amount: 1000, currency: 'USD' },
  };
}
