import type { KafkaMessage } from 'kafkajs';

/**
 * The record's timestamp in ms. Producers set it, so it can be anything an int64 holds: 0, -1, or
 * past what a date can show. Those are taken as now, so that sequences stay positive and times valid.
 */
export function recordMillis(message: KafkaMessage): number {
  const ms = Number(message.timestamp);
  return Number.isSafeInteger(ms) && ms >= 1 && ms <= MAX_DATE_MS ? ms : Date.now();
}

/** The latest time a JavaScript Date can hold. */
const MAX_DATE_MS = 8.64e15;

export function recordTime(message: KafkaMessage): string {
  return new Date(recordMillis(message)).toISOString();
}
