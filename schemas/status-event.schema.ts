import {
  agencyCode,
  agencyState,
  conditions,
  dateTime,
  DECIDED_BY,
  idString,
  outcome,
  overallStatus,
  reasonCode,
  reasons,
  regime,
  taxId,
} from './common.schema.js';

const statusReason = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'message'],
  properties: {
    agency: agencyCode,
    code: reasonCode,
    // Intake puts the validation messages of a rejected input here, so allow more than a sentence.
    message: { type: 'string', minLength: 1, maxLength: 2000 },
  },
} as const;

const decision = {
  type: 'object',
  additionalProperties: false,
  required: ['agency', 'outcome', 'by', 'at', 'reasons'],
  properties: {
    agency: agencyCode,
    outcome,
    by: { type: 'string', enum: DECIDED_BY },
    officer: { type: 'string', minLength: 1, maxLength: 64 },
    at: dateTime,
    reasons,
    conditions,
    // Who signed an officer's or agency system's decision (design.md §10), as the audit records it.
    signer: {
      type: 'object',
      additionalProperties: false,
      required: ['rfc', 'serial', 'fingerprint'],
      properties: {
        rfc: taxId,
        serial: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[0-9a-f]+$' },
        fingerprint: { type: 'string', minLength: 64, maxLength: 64, pattern: '^[0-9a-f]{64}$' },
      },
    },
  },
} as const;

export const statusEventSchema = {
  $id: 'urn:ventanilla:schema:status-event',
  title: 'StatusEvent',
  type: 'object',
  additionalProperties: false,
  required: ['declarationId', 'at', 'sequence', 'status', 'agencies', 'reasons'],
  properties: {
    declarationId: idString,
    at: dateTime,
    // Strictly increasing per declaration: consumers drop repeats and restore order with it.
    sequence: { type: 'integer', minimum: 1 },
    status: overallStatus,
    agencies: {
      type: 'object',
      maxProperties: 32,
      propertyNames: agencyCode,
      additionalProperties: agencyState,
    },
    reasons: { type: 'array', minItems: 0, maxItems: 100, items: statusReason },
    decisions: { type: 'array', minItems: 0, maxItems: 200, items: decision },
    amendmentId: idString,
    // Whose declaration it is and under which regime: the archive files events by trader (a trader
    // reads only their own, design.md §11) and statistics by regime (§12). Absent only when a
    // rejected input did not say.
    traderTaxId: taxId,
    regime,
    workflowId: { type: 'string', minLength: 1, maxLength: 256 },
  },
} as const;
