import type { Message } from 'kafkajs';
import type { StatusEvent } from '../schemas/types.js';

/** Keyed by declarationId, so one declaration's events stay in order on one partition. */
export function statusRecords(events: StatusEvent[]): Message[] {
  return events.map((event) => ({ key: event.declarationId, value: JSON.stringify(event) }));
}
