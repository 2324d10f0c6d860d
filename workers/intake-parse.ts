import { createHash } from 'node:crypto';
import { PATTERNS } from '../schemas/common.schema.js';
import { canonicalJson } from '../workflows/canonical-json.js';
import type { DeadLetterReason, FieldError, TraderMessage } from '../schemas/types.js';
import { checkTraderMessage } from '../schemas/trader-message-check.js';

/** Larger inputs are dead-lettered unread (design.md §4). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
const KINDS = ['declaration', 'amendment', 'withdrawal'];

export type Parsed =
  | { ok: true; message: TraderMessage }
  | { ok: false; reason: DeadLetterReason; errors: FieldError[]; declarationId?: string; kind?: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const ID = new RegExp(PATTERNS.id);

export type Decoded =
  { ok: true; data: unknown } | { ok: false; reason: DeadLetterReason; errors: FieldError[] };

/** Bytes to JSON, or exactly why not: empty, over 1 MiB (left unread), not UTF-8, not JSON. */
export function decodeJsonRecord(value: Buffer | null): Decoded {
  if (!value || value.length === 0) {
    return {
      ok: false,
      reason: 'INVALID_JSON',
      errors: [{ path: '(root)', message: 'the message is empty' }],
    };
  }
  if (value.length > MAX_MESSAGE_BYTES) {
    return {
      ok: false,
      reason: 'TOO_LARGE',
      errors: [
        {
          path: '(root)',
          message: `the message is ${value.length} bytes; the limit is ${MAX_MESSAGE_BYTES} (1 MiB)`,
        },
      ],
    };
  }
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return {
      ok: false,
      reason: 'INVALID_ENCODING',
      errors: [{ path: '(root)', message: 'the message is not valid UTF-8' }],
    };
  }
  try {
    return { ok: true, data: JSON.parse(text) };
  } catch (error) {
    return {
      ok: false,
      reason: 'INVALID_JSON',
      errors: [{ path: '(root)', message: `not valid JSON: ${(error as Error).message}` }],
    };
  }
}

/** The declarationId of a rejected input, when it can still be read, so the trader can be told. */
export function readableDeclarationId(data: unknown): string | undefined {
  const id =
    typeof data === 'object' && data !== null ? (data as Record<string, unknown>).declarationId : undefined;
  return typeof id === 'string' && ID.test(id) ? id : undefined;
}

/** Turns one Kafka record value into a valid trader message, or says exactly why it is not one. */
export function parseTraderMessage(value: Buffer | null): Parsed {
  const decoded = decodeJsonRecord(value);
  if (!decoded.ok) return decoded;
  const result = checkTraderMessage(decoded.data);
  if (result.ok) return { ok: true, message: result.value };
  const kindValue = (decoded.data as { kind?: unknown } | null)?.kind;
  const kind = typeof kindValue === 'string' && KINDS.includes(kindValue) ? kindValue : undefined;
  return {
    ok: false,
    reason: kind ? 'SCHEMA_VIOLATION' : 'UNKNOWN_KIND',
    errors: result.errors,
    declarationId: readableDeclarationId(decoded.data),
    kind,
  };
}

/** SHA-256 of the message with its keys sorted, so the same content in another key order matches. */
export function contentHash(message: unknown): string {
  return createHash('sha256').update(canonicalJson(message)).digest('hex');
}
