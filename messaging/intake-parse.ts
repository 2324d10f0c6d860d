import { PATTERNS } from '../schemas/common.schema.js';
import type { DeadLetterReason, FieldError, TraderMessage } from '../schemas/types.js';
import { checkTraderMessage } from '../schemas/trader-message-check.js';
import { traderMessageKindSchemas } from '../schemas/trader-message.schema.js';

/** Larger inputs are dead-lettered unread (design.md §4). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** The kinds of trader message, read from the schema's branches so that a new kind needs no change here. */
const KINDS: ReadonlySet<string> = new Set(traderMessageKindSchemas.map((s) => s.properties.kind.const));

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

/** The record key as a declarationId, when it is one (design.md §3 keys every message by it). */
export function keyDeclarationId(key: Buffer | null | undefined): string | undefined {
  if (!key || key.length > 64) return undefined;
  const text = key.toString('utf8');
  return ID.test(text) ? text : undefined;
}

/**
 * The declarationId inside a value that could not be decoded (not UTF-8, or over 1 MiB), read
 * leniently: invalid bytes become U+FFFD. Values far over the limit are not read at all.
 */
function lenientDeclarationId(value: Buffer | null, reason: DeadLetterReason): string | undefined {
  if (!value || (reason !== 'INVALID_ENCODING' && reason !== 'TOO_LARGE')) return undefined;
  if (value.length > LENIENT_READ_BYTES) return undefined;
  try {
    return readableDeclarationId(JSON.parse(value.toString('utf8')));
  } catch {
    return undefined;
  }
}

/** Past this, a value is not even read leniently for its declarationId (the broker allows 2 MiB). */
const LENIENT_READ_BYTES = 4 * MAX_MESSAGE_BYTES;

function describeKey(key: Buffer | null): string {
  if (!key) return 'the record has no key';
  const text = key.subarray(0, 80).toString('utf8');
  return `the record key ${JSON.stringify(text)}${key.length > 80 ? ` (${key.length} bytes, shown cut)` : ''}`;
}

/**
 * Turns one Kafka record into a valid trader message, or says exactly why it is not one. The
 * declarationId of a refused input comes from the value when it can be read there, else from the
 * record key, so the trader can be told. `key` undefined means "not known" and is not checked.
 */
export function parseTraderMessage(value: Buffer | null, key?: Buffer | null): Parsed {
  const decoded = decodeJsonRecord(value);
  const fromKey = keyDeclarationId(key);
  if (!decoded.ok) {
    const declarationId = lenientDeclarationId(value, decoded.reason) ?? fromKey;
    return { ...decoded, ...(declarationId ? { declarationId } : {}) };
  }
  const result = checkTraderMessage(decoded.data);
  if (result.ok) {
    const { declarationId } = result.value;
    if (key === undefined || fromKey === declarationId) return { ok: true, message: result.value };
    // Messages of one declaration keep their order only on one partition, which the key picks.
    return {
      ok: false,
      reason: 'KEY_MISMATCH',
      errors: [
        {
          path: 'declarationId',
          message: `${describeKey(key)}, not the declarationId "${declarationId}"; key every message by its declarationId, so that all of a declaration's messages stay in order`,
        },
      ],
      declarationId,
      kind: result.value.kind,
    };
  }
  const kindValue = (decoded.data as { kind?: unknown } | null)?.kind;
  const kind = typeof kindValue === 'string' && KINDS.has(kindValue) ? kindValue : undefined;
  const declarationId = readableDeclarationId(decoded.data) ?? fromKey;
  return {
    ok: false,
    reason: kind ? 'SCHEMA_VIOLATION' : 'UNKNOWN_KIND',
    errors: result.errors,
    ...(declarationId ? { declarationId } : {}),
    kind,
  };
}
