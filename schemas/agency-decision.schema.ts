import { agencyCode, conditions, dateTime, idString, outcome, reasons } from './common.schema.js';

export const agencyDecisionSchema = {
  $id: 'urn:ventanilla:schema:agency-decision',
  title: 'AgencyDecision',
  type: 'object',
  additionalProperties: false,
  required: ['decisionId', 'declarationId', 'agency', 'officer', 'at', 'outcome', 'reasons'],
  properties: {
    decisionId: idString,
    declarationId: idString,
    agency: agencyCode,
    officer: { type: 'string', minLength: 1, maxLength: 64 },
    at: dateTime,
    outcome,
    reasons,
    conditions,
  },
} as const;
