import {
  agencyCode,
  dateTime,
  deadlinePolicy,
  documents,
  documentType,
  DOCUMENT_TYPES,
  idString,
  items,
  reason,
  regime,
  trader,
} from './common.schema.js';

// What one agency sees on trade.agency.<agency>.requests: only its own view of a declaration.
// `round` counts reviews by this agency, so a stale request can be told apart after an amendment.
// A clearance may live through any number of amendments (it continues as new), so the bound is
// only a sanity limit, far above any real one.
const round = { type: 'integer', minimum: 1, maximum: 1_000_000 } as const;
const reviewRequest = {
  type: 'object',
  additionalProperties: false,
  required: [
    'kind',
    'declarationId',
    'agency',
    'round',
    'at',
    'regime',
    'customsOffice',
    'trader',
    'items',
    'documents',
    'requiredDocuments',
    'deadline',
    'deadlinePolicy',
  ],
  properties: {
    kind: { const: 'review-request' },
    declarationId: idString,
    agency: agencyCode,
    round,
    at: dateTime,
    regime,
    customsOffice: { type: 'string', minLength: 1, maxLength: 64 },
    trader,
    items,
    documents,
    requiredDocuments: {
      type: 'array',
      maxItems: DOCUMENT_TYPES.length,
      uniqueItems: true,
      items: documentType,
    },
    deadline: dateTime,
    deadlinePolicy,
  },
} as const;

const reviewWithdrawn = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'declarationId', 'agency', 'round', 'at', 'reason'],
  properties: {
    kind: { const: 'review-withdrawn' },
    declarationId: idString,
    agency: agencyCode,
    round,
    at: dateTime,
    reason,
  },
} as const;

export const agencyRequestSchema = {
  $id: 'urn:ventanilla:schema:agency-request',
  title: 'AgencyRequest',
  type: 'object',
  discriminator: { propertyName: 'kind' },
  oneOf: [reviewRequest, reviewWithdrawn],
} as const;
