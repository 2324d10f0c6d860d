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
  /** The record key is not the declarationId inside: the contract keys every message by it (design.md §3). */
  'KEY_MISMATCH',
  /**
   * Handling the record failed for a reason that is not about its content and will not heal by
   * retrying (a programming error, or the broker refusing a write for good). Replay it after a fix.
   */
  'HANDLER_ERROR',
  // design.md §10: a trader message or agency decision whose signature is refused.
  'SIGNATURE_MISSING',
  'SIGNATURE_INVALID',
  'CERTIFICATE_UNTRUSTED',
  'CERTIFICATE_EXPIRED',
  'CERTIFICATE_REVOKED',
  'SIGNER_MISMATCH',
] as const;

/**
 * What a dead letter keeps of an input, so that it always fits under the broker's message limit
 * (2 MiB on the local stack): about 1.4 MB of base64 plus 64 KiB each of headers and errors.
 */
export const DEAD_LETTER_LIMITS = {
  valueBytes: 1024 * 1024,
  keyBytes: 1024,
  keyChars: 1024,
  headers: 64,
  headerNameChars: 256,
  headerValueChars: 8192,
  headersTotalChars: 64 * 1024,
  errors: 200,
  errorPathChars: 512,
  errorMessageChars: 2000,
  errorsTotalChars: 64 * 1024,
  refChars: 300,
} as const;

/** Size and SHA-256 of a part of the input that the dead letter keeps only in part, or not at all. */
const digest = {
  type: 'object',
  additionalProperties: false,
  required: ['size', 'sha256'],
  properties: {
    size: { type: 'integer', minimum: 0 },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    /** Headers only: how many were cut short or left out. */
    cut: { type: 'integer', minimum: 1 },
  },
} as const;

// Base64 of the largest accepted input (1 MiB). A TOO_LARGE input keeps only a prefix of its
// bytes; valueSize always records the original length, so truncation is visible.
const MAX_VALUE_BASE64 = 4 * Math.ceil(DEAD_LETTER_LIMITS.valueBytes / 3);

export const deadLetterSchema = {
  $id: 'urn:ventanilla:schema:dead-letter',
  title: 'DeadLetterRecord',
  type: 'object',
  additionalProperties: false,
  required: ['ref', 'at', 'source', 'key', 'headers', 'valueBase64', 'valueSize', 'reason', 'errors'],
  properties: {
    /** `<topic>:<partition>:<offset>` of the original input, e.g. `trade.declarations:0:42`. */
    ref: { type: 'string', minLength: 1, maxLength: DEAD_LETTER_LIMITS.refChars },
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
    key: { anyOf: [{ type: 'string', maxLength: DEAD_LETTER_LIMITS.keyChars }, { type: 'null' }] },
    headers: {
      type: 'object',
      maxProperties: DEAD_LETTER_LIMITS.headers,
      propertyNames: { type: 'string', maxLength: DEAD_LETTER_LIMITS.headerNameChars },
      additionalProperties: { type: 'string', maxLength: DEAD_LETTER_LIMITS.headerValueChars },
    },
    valueBase64: { type: 'string', maxLength: MAX_VALUE_BASE64 },
    valueSize: { type: 'integer', minimum: 0 },
    declarationId: idString,
    reason: { type: 'string', enum: DEAD_LETTER_REASONS },
    errors: {
      type: 'array',
      minItems: 1,
      maxItems: DEAD_LETTER_LIMITS.errors,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', maxLength: DEAD_LETTER_LIMITS.errorPathChars },
          message: { type: 'string', maxLength: DEAD_LETTER_LIMITS.errorMessageChars },
        },
      },
    },
    replayOf: { type: 'string', minLength: 1, maxLength: DEAD_LETTER_LIMITS.refChars },
    /** The parts of the input kept only in part (key, headers, a value over 1 MiB), or not at all. */
    truncated: {
      type: 'object',
      additionalProperties: false,
      properties: { key: digest, headers: digest, value: digest },
    },
  },
} as const;
