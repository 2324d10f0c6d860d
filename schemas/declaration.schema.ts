import { documents, idString, items, regime, trader, dateTime } from './common.schema.js';

export const declarationSchema = {
  $id: 'urn:ventanilla:schema:declaration',
  title: 'Declaration',
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'declarationId', 'trader', 'regime', 'customsOffice', 'items', 'documents'],
  properties: {
    kind: { const: 'declaration' },
    declarationId: idString,
    trader,
    regime,
    customsOffice: { type: 'string', minLength: 1, maxLength: 64 },
    items,
    documents,
    submittedAt: dateTime,
    signature: { type: 'string', minLength: 1, maxLength: 8192 },
  },
} as const;
