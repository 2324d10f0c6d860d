import { dateTime, documents, idString, items } from './common.schema.js';

// items and documents each replace the old list whole (design.md §4), so either may be sent
// alone; an amendment that changes nothing is a mistake worth rejecting.
export const amendmentSchema = {
  $id: 'urn:ventanilla:schema:amendment',
  title: 'Amendment',
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'declarationId', 'amendmentId'],
  properties: {
    kind: { const: 'amendment' },
    declarationId: idString,
    amendmentId: idString,
    items,
    documents,
    submittedAt: dateTime,
  },
  // `properties: { x: true }` only declares the name again: ajv's strictRequired looks for it in
  // the same schema object and would otherwise reject the branch.
  anyOf: [
    { required: ['items'], properties: { items: true } },
    { required: ['documents'], properties: { documents: true } },
  ],
} as const;
