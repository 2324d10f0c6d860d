import { amendmentSchema } from './amendment.schema.js';
import { declarationSchema } from './declaration.schema.js';
import { withdrawalSchema } from './withdrawal.schema.js';

// Everything a trader may put on the input topic. The discriminator makes ajv validate only the
// branch named by `kind`, so errors describe that message rather than all three.
export const traderMessageSchema = {
  $id: 'urn:ventanilla:schema:trader-message',
  title: 'TraderMessage',
  type: 'object',
  discriminator: { propertyName: 'kind' },
  oneOf: [declarationSchema, amendmentSchema, withdrawalSchema],
} as const;
