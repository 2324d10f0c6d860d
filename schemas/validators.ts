// The one Ajv instance. Every schema is compiled here, once, when this module is first imported;
// the rest of the code only calls the resulting type guards.
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { agencyDecisionSchema } from './agency-decision.schema.js';
import { agencyRequestSchema } from './agency-request.schema.js';
import { amendmentSchema } from './amendment.schema.js';
import { deadLetterSchema } from './dead-letter.schema.js';
import { declarationSchema } from './declaration.schema.js';
import { formatErrors } from './format-errors.js';
import { notificationEndpointSchema } from './notification-endpoint.schema.js';
import { registrySchema } from './registry.schema.js';
import { statusEventSchema } from './status-event.schema.js';
import { traderMessageSchema } from './trader-message.schema.js';
import type { FieldError } from './types.js';
import { withdrawalSchema } from './withdrawal.schema.js';

export type Validator<T> = ValidateFunction<T>;
export type CheckResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

const ajv = new Ajv({
  allErrors: true, // a trader should learn every problem in one round trip, not one at a time
  strict: true,
  discriminator: true,
  verbose: true, // puts the offending value and parent schema on each error for format-errors.ts
});
// Only the formats the schemas use: with strict mode any other format is a schema bug.
addFormats.default(ajv, ['date-time']);

// The trader-message union embeds the declaration, amendment and withdrawal schemas along with
// their $ids, so those are already registered once it is compiled: reuse them rather than
// compiling (and registering) the same $id twice, which ajv refuses.
// The guard's type comes from the schema itself, so a validator cannot be given the wrong type.
function compile<S extends JSONSchema & { $id: string }>(schema: S): Validator<FromSchema<S>> {
  const validate = ajv.getSchema(schema.$id) ?? ajv.compile(schema as AnySchemaObject);
  // Through unknown: relating ajv's own type to FromSchema<S> for a generic S is too deep for tsc.
  return validate as unknown as Validator<FromSchema<S>>;
}

export const validateTraderMessage = compile(traderMessageSchema);
export const validateDeclaration = compile(declarationSchema);
export const validateAmendment = compile(amendmentSchema);
export const validateWithdrawal = compile(withdrawalSchema);
export const validateAgencyDecision = compile(agencyDecisionSchema);
export const validateAgencyRequest = compile(agencyRequestSchema);
export const validateStatusEvent = compile(statusEventSchema);
export const validateDeadLetter = compile(deadLetterSchema);
export const validateRegistry = compile(registrySchema);
export const validateNotificationEndpoint = compile(notificationEndpointSchema);

/** Validates and, on failure, explains why in trader-readable FieldErrors. */
export function check<T>(validate: Validator<T>, data: unknown): CheckResult<T> {
  if (validate(data)) return { ok: true, value: data };
  return { ok: false, errors: formatErrors(validate.errors) };
}

/**
 * A validator of one part of an HTTP request (path parameters, query string) on the same Ajv
 * instance, for the gateway's routes (Fastify's setValidatorCompiler).
 */
export function compileRequestPart(schema: object): ValidateFunction {
  return ajv.compile(schema as AnySchemaObject);
}
