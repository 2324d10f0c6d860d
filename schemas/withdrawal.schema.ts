import { dateTime, idString } from './common.schema.js';

export const withdrawalSchema = {
  $id: 'urn:ventanilla:schema:withdrawal',
  title: 'Withdrawal',
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'declarationId', 'reason'],
  properties: {
    kind: { const: 'withdrawal' },
    declarationId: idString,
    reason: { type: 'string', minLength: 1, maxLength: 500 },
    withdrawalId: idString,
    submittedAt: dateTime,
  },
} as const;
