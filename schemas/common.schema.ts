// Building blocks shared by every message schema (design.md §4–§6). They are inlined, not $ref'd,
// so that json-schema-to-ts can derive types from each message schema on its own.
// This module is pure data: workflow code may import the enum arrays at runtime.

/** Regex sources, kept in one place so format-errors.ts can give each a readable wording. */
export const PATTERNS = {
  /** declarationId and every idempotency key (amendmentId, decisionId, withdrawalId). */
  id: '^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$',
  agency: '^[A-Z][A-Z0-9_]{1,31}$',
  reasonCode: '^[A-Z][A-Z0-9_]{1,63}$',
  /** Mexican RFC: 3 letters (company) or 4 (person), YYMMDD, 3-character homoclave. */
  taxId: '^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$',
  country: '^[A-Z]{2}$',
  currency: '^[A-Z]{3}$',
  hsCode: '^[0-9]{6,10}$',
  digits: '^[0-9]{1,20}$',
} as const;

const compiled = new Map<keyof typeof PATTERNS, RegExp>();

/** Whether a value has the form the schemas give it (for checks outside a schema: CLI flags, env vars). */
export function matchesPattern(name: keyof typeof PATTERNS, value: string): boolean {
  let regex = compiled.get(name);
  if (!regex) compiled.set(name, (regex = new RegExp(PATTERNS[name])));
  return regex.test(value);
}

export const REGIMES = ['IMPORT', 'EXPORT', 'TRANSIT'] as const;
export const DOCUMENT_TYPES = [
  'INVOICE',
  'CERTIFICATE_OF_ORIGIN',
  'PHYTOSANITARY_CERTIFICATE',
  'ZOOSANITARY_CERTIFICATE',
  'SANITARY_PERMIT',
  'IMPORT_PERMIT',
  'EXPORT_PERMIT',
  'OTHER',
] as const;
export const OVERALL_STATUSES = [
  'RECEIVED',
  'IN_REVIEW',
  'AWAITING_TRADER',
  'CLEARED',
  'REJECTED',
  'WITHDRAWN',
  'FAILED',
] as const;
export const AGENCY_STATES = [
  'PENDING',
  'APPROVED',
  'REJECTED',
  'REQUEST_INFO',
  'WITHDRAWN',
  'OVERDUE',
] as const;
export const OUTCOMES = ['APPROVED', 'REJECTED', 'REQUEST_INFO'] as const;
export const DECIDED_BY = ['auto', 'officer'] as const;
export const DEADLINE_POLICIES = ['ESCALATE', 'AUTO_APPROVE', 'AUTO_REJECT'] as const;

// Patterned strings carry only maxLength: the pattern already fixes the minimum, and a second
// length error would just repeat it to the trader.
export const idString = { type: 'string', maxLength: 64, pattern: PATTERNS.id } as const;
export const agencyCode = { type: 'string', maxLength: 32, pattern: PATTERNS.agency } as const;
export const reasonCode = { type: 'string', maxLength: 64, pattern: PATTERNS.reasonCode } as const;
export const taxId = { type: 'string', maxLength: 13, pattern: PATTERNS.taxId } as const;
export const countryCode = { type: 'string', maxLength: 2, pattern: PATTERNS.country } as const;
export const currencyCode = { type: 'string', maxLength: 3, pattern: PATTERNS.currency } as const;
export const hsCode = { type: 'string', maxLength: 10, pattern: PATTERNS.hsCode } as const;
// RFC 3339; the length bound only stops absurd input before the format check runs.
export const dateTime = { type: 'string', format: 'date-time', maxLength: 64 } as const;

export const regime = { type: 'string', enum: REGIMES } as const;
export const documentType = { type: 'string', enum: DOCUMENT_TYPES } as const;
export const overallStatus = { type: 'string', enum: OVERALL_STATUSES } as const;
export const agencyState = { type: 'string', enum: AGENCY_STATES } as const;
export const outcome = { type: 'string', enum: OUTCOMES } as const;
export const deadlinePolicy = { type: 'string', enum: DEADLINE_POLICIES } as const;

export const trader = {
  type: 'object',
  additionalProperties: false,
  required: ['taxId', 'name'],
  properties: {
    taxId,
    name: { type: 'string', minLength: 1, maxLength: 256 },
  },
} as const;

export const item = {
  type: 'object',
  additionalProperties: false,
  required: ['lineNo', 'hsCode', 'description', 'originCountry', 'quantity', 'unit', 'value'],
  properties: {
    lineNo: { type: 'integer', minimum: 1, maximum: 999 },
    hsCode,
    description: { type: 'string', minLength: 1, maxLength: 512 },
    originCountry: countryCode,
    quantity: { type: 'number', exclusiveMinimum: 0 },
    unit: { type: 'string', minLength: 1, maxLength: 16 },
    value: {
      type: 'object',
      additionalProperties: false,
      required: ['amount', 'currency'],
      properties: {
        amount: { type: 'number', minimum: 0 },
        currency: currencyCode,
      },
    },
  },
} as const;

export const documentRef = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'reference'],
  properties: {
    type: documentType,
    reference: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;

export const items = { type: 'array', minItems: 1, maxItems: 999, items: item } as const;
export const documents = { type: 'array', minItems: 0, maxItems: 50, items: documentRef } as const;

export const reason = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'message'],
  properties: {
    code: reasonCode,
    message: { type: 'string', minLength: 1, maxLength: 500 },
  },
} as const;

export const reasons = { type: 'array', minItems: 0, maxItems: 20, items: reason } as const;
export const conditions = {
  type: 'array',
  minItems: 0,
  maxItems: 20,
  items: { type: 'string', minLength: 1, maxLength: 500 },
} as const;
