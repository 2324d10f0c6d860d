import { dateTime, idString, PATTERNS } from './common.schema.js';

export const DEAD_LETTER_REASONS = [
  'INVALID_JSON',
  'INVALID_ENCODING',
  'TOO_LARGE',
  'UNKNOWN_KIND',
  'SCHEMA_VIOLATION',
  'INVALID_DECISION',
  'REJECTED_BY_WORKFLOW',
  /** An amendment or withdrawal for a declaration with no open clearance. */
  'NO_OPEN_DECLARATION',
  /** A different declaration under an ID whose clearance is already closed. */
  'DUPLICATE_CONFLICT',
] as const;

// Base64 of the largest accepted input (1 MiB). A TOO_LARGE input keeps only a prefix of its
// bytes; valueSize always records the original length, so truncation is visible.
const MAX_VALUE_BASE64 = 4 * Math.ceil((1024 * 1024) / 3);

export const deadLetterSchema = {
  $id: 'urn:ventanilla:schema:dead-letter',
  title: 'DeadLetterRecord',
  type: 'object',
  additionalProperties: false,
  required: ['ref', 'at', 'source', 'key', 'headers', 'valueBase64', 'valueSize', 'reason', 'errors'],
  properties: {
    /** `<topic>:<partition>:<offset>` of the original input, e.g. `trade.declarations:0:42`. */
    ref: { type: 'string', minLength: 1, maxLength: 128 },
    at: dateTime,
    source: {
      type: 'object',
      additionalProperties: false,
      required: ['topic', 'partition', 'offset'],
      properties: {
        topic: { type: 'string', minLength: 1, maxLength: 249 },
        partition: { type: 'integer', minimum: 0 },
        // Kafka offsets are int64: a string keeps them exact in JSON.
        offset: { type: 'string', maxLength: 20, pattern: PATTERNS.digits },
      },
    },
    key: { anyOf: [{ type: 'string', maxLength: 1024 }, { type: 'null' }] },
    headers: {
      type: 'object',
      maxProperties: 64,
      propertyNames: { type: 'string', maxLength: 256 },
      additionalProperties: { type: 'string', maxLength: 8192 },
    },
    valueBase64: { type: 'string', maxLength: MAX_VALUE_BASE64 },
    valueSize: { type: 'integer', minimum: 0 },
    declarationId: idString,
    reason: { type: 'string', enum: DEAD_LETTER_REASONS },
    errors: {
      type: 'array',
      minItems: 1,
      maxItems: 200,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', maxLength: 512 },
          message: { type: 'string', maxLength: 2000 },
        },
      },
    },
    replayOf: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;
