import { createHash } from 'node:crypto';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { failureClass } from '../domain/failures.js';
import { DEAD_LETTER_LIMITS } from '../schemas/dead-letter.schema.js';
import type { DeadLetterReason, DeadLetterRecord, FieldError } from '../schemas/types.js';

export interface RecordSource {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** Header an operator's replay adds to a re-fed dead letter: the `ref` of the original record. */
export const REPLAY_HEADER = 'ventanilla-replay-of';

/** `<topic>:<partition>:<offset>`: names one input for good, and is how operators refer to it. */
export function recordRef(source: { topic: string; partition: number; offset: string }): string {
  return `${source.topic}:${source.partition}:${source.offset}`;
}

type Truncated = NonNullable<DeadLetterRecord['truncated']>;

const sha256 = (...parts: Buffer[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

/** Text of at most `max` UTF-16 units that never ends in half a surrogate pair. */
function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.charCodeAt(max - 1) >= 0xd800 && text.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return text.slice(0, cut);
}

/**
 * The key as text (invalid UTF-8 shows as U+FFFD). A hostile key can be megabytes: only its first
 * bytes are kept, with the size and SHA-256 of the whole.
 */
function boundedKey(key: Buffer | null, truncated: Truncated): string | null {
  if (!key) return null;
  const text = key.subarray(0, DEAD_LETTER_LIMITS.keyBytes).toString('utf8');
  const kept = clipText(text, DEAD_LETTER_LIMITS.keyChars);
  if (key.length > DEAD_LETTER_LIMITS.keyBytes || kept !== text) {
    truncated.key = { size: key.length, sha256: sha256(key) };
  }
  return kept;
}

/**
 * Headers as text, within a count, a length per name and value, and a total budget. When any is
 * cut or left out, the size and SHA-256 of all the original headers (name, NUL, value, NUL, ...) say so.
 */
function boundedHeaders(headers: IHeaders | undefined, truncated: Truncated): Record<string, string> {
  const out: Record<string, string> = {};
  const all: Buffer[] = [];
  let budget = DEAD_LETTER_LIMITS.headersTotalChars;
  let cut = 0;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const values = (Array.isArray(value) ? value : [value]).map((v) => Buffer.from(v));
    all.push(Buffer.from(name), Buffer.of(0), ...values.flatMap((v) => [v, Buffer.of(0)]));
    const full = values.map((v) => v.toString('utf8')).join(',');
    const keptName = clipText(name, DEAD_LETTER_LIMITS.headerNameChars);
    const room = Math.min(DEAD_LETTER_LIMITS.headerValueChars, budget - keptName.length);
    if (Object.keys(out).length >= DEAD_LETTER_LIMITS.headers || room <= 0 || keptName in out) {
      cut++;
      continue;
    }
    const kept = clipText(full, room);
    if (kept !== full || keptName !== name) cut++;
    out[keptName] = kept;
    budget -= keptName.length + kept.length;
  }
  if (cut > 0) {
    const bytes = Buffer.concat(all);
    truncated.headers = { size: bytes.length, sha256: sha256(bytes), cut };
  }
  return out;
}

/** The error list within the schema's bounds and a total budget, so a dead letter always fits. */
function boundedErrors(errors: FieldError[], reason: DeadLetterReason): FieldError[] {
  const out: FieldError[] = [];
  let budget = DEAD_LETTER_LIMITS.errorsTotalChars;
  for (const error of errors.slice(0, DEAD_LETTER_LIMITS.errors)) {
    const kept = {
      path: clipText(error.path, DEAD_LETTER_LIMITS.errorPathChars),
      message: clipText(error.message, DEAD_LETTER_LIMITS.errorMessageChars),
    };
    budget -= kept.path.length + kept.message.length;
    if (budget < 0) break;
    out.push(kept);
  }
  return out.length > 0 ? out : [{ path: '(root)', message: reason }];
}

/**
 * The dead-letter record keeps the original bytes (base64), key, headers and position, so an
 * operator can see exactly what arrived and send it through intake again after a fix. Every part
 * is bounded, so that the record always fits under the broker's message limit whatever arrived;
 * a part that was cut keeps the size and SHA-256 of the original in `truncated`.
 */
export function deadLetterRecord(
  source: RecordSource,
  reason: DeadLetterReason,
  errors: FieldError[],
  extra: { declarationId?: string; replayOf?: string; at: string },
): DeadLetterRecord {
  const { message } = source;
  const value = message.value ?? Buffer.alloc(0);
  const position = { topic: source.topic, partition: source.partition, offset: message.offset };
  const truncated: Truncated = {};
  const key = boundedKey(message.key, truncated);
  const headers = boundedHeaders(message.headers, truncated);
  if (value.length > DEAD_LETTER_LIMITS.valueBytes)
    truncated.value = { size: value.length, sha256: sha256(value) };
  return {
    ref: recordRef(position),
    at: extra.at,
    source: position,
    key,
    headers,
    // Over 1 MiB only the first 1 MiB is kept: valueSize still tells the original length.
    valueBase64: value.subarray(0, DEAD_LETTER_LIMITS.valueBytes).toString('base64'),
    valueSize: value.length,
    reason,
    errors: boundedErrors(errors, reason),
    ...(Object.keys(truncated).length > 0 ? { truncated } : {}),
    ...(extra.declarationId ? { declarationId: extra.declarationId } : {}),
    ...(extra.replayOf ? { replayOf: clipText(extra.replayOf, DEAD_LETTER_LIMITS.refChars) } : {}),
  };
}

/**
 * The same dead letter without the original bytes and headers, for a broker whose message limit
 * is below what the full record needs; their sizes and SHA-256 stay.
 */
export function compactDeadLetter(record: DeadLetterRecord): DeadLetterRecord {
  const value = Buffer.from(record.valueBase64, 'base64');
  const headers = Object.entries(record.headers).map(([n, v]) => Buffer.from(`${n}\0${v}\0`));
  const all = Buffer.concat(headers);
  return {
    ...record,
    valueBase64: '',
    headers: {},
    truncated: {
      ...record.truncated,
      value: record.truncated?.value ?? { size: record.valueSize, sha256: sha256(value) },
      ...(headers.length > 0
        ? {
            headers: record.truncated?.headers ?? {
              size: all.length,
              sha256: sha256(all),
              cut: headers.length,
            },
          }
        : {}),
    },
  };
}

/**
 * The Kafka message of a dead letter. Keyed by the declarationId when it is known, else by the
 * record's own position: never by the original key, which may be huge or hostile (kafkajs's
 * murmur2 partitioner is superlinear on some long keys and would block the process).
 * It is written only inside the transaction that also commits its record's offset (see
 * messaging/transactional-commits.ts), so that it reaches the topic exactly once.
 */
export function deadLetterMessage(record: DeadLetterRecord): Message {
  return { key: record.declarationId ?? record.ref, value: JSON.stringify(record) };
}

/**
 * The broker refused this full letter for good (a message limit below what it needs): its
 * compact form, without the bytes, is what to write instead. A compact letter is never compacted again.
 */
export function needsCompacting(error: unknown, record: DeadLetterRecord): boolean {
  const compactable = record.valueBase64 !== '' || Object.keys(record.headers).length > 0;
  return compactable && failureClass(error) === 'permanent';
}
