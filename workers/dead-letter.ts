import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
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

function headersAsText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = (Array.isArray(value) ? value : [value]).map((v) => v.toString()).join(',');
  }
  return out;
}

/**
 * The dead-letter record keeps the original bytes (base64), key, headers and position, so an
 * operator can see exactly what arrived and send it through intake again after a fix.
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
  return {
    ref: recordRef(position),
    at: extra.at,
    source: position,
    key: message.key ? message.key.toString() : null,
    headers: headersAsText(message.headers),
    // Over 1 MiB only the first 1 MiB is kept: valueSize still tells the original length.
    valueBase64: value.subarray(0, 1024 * 1024).toString('base64'),
    valueSize: value.length,
    reason,
    errors: errors.length > 0 ? errors.slice(0, 200) : [{ path: '(root)', message: reason }],
    ...(extra.declarationId ? { declarationId: extra.declarationId } : {}),
    ...(extra.replayOf ? { replayOf: extra.replayOf } : {}),
  };
}

export async function publishDeadLetter(
  producer: Producer,
  topic: string,
  record: DeadLetterRecord,
): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: [{ key: record.declarationId ?? record.key ?? record.ref, value: JSON.stringify(record) }],
  });
}
