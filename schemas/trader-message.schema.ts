import { amendmentSchema } from './amendment.schema.js';
import { declarationSchema } from './declaration.schema.js';
import { withdrawalSchema } from './withdrawal.schema.js';

/**
 * One schema per message kind, each naming its kind in `properties.kind.const`. The trader
 * message is exactly these branches, so code that needs the list of kinds reads it from here.
 */
export const traderMessageKindSchemas = [declarationSchema, amendmentSchema, withdrawalSchema] as const;

// Everything a trader may put on the input topic. The discriminator makes ajv validate only the
// branch named by `kind`, so errors describe that message rather than all three.
export const traderMessageSchema = {
  $id: 'urn:ventanilla:schema:trader-message',
  title: 'TraderMessage',
  type: 'object',
  discriminator: { propertyName: 'kind' },
  oneOf: traderMessageKindSchemas,
} as const;
