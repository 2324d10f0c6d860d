import { statusEvent, type ClearanceState, type StatusReason } from './clearance-state.js';
import type { StatusDraft } from './status-events.js';

// The numbering of a clearance's status events. Consumers drop a repeat by its sequence
// (design.md §4), so the sequence is fixed here, before publishing, never by the publisher.

export interface Published {
  /** The sequence of the latest event. */
  sequence: number;
  /** The latest event, less its stamp; undefined before the first. */
  lastEvent?: StatusDraft;
}

export interface NextEvents extends Published {
  /** What to publish now, in order: nothing when the status did not change. */
  drafts: StatusDraft[];
}

/**
 * The events to publish for the current state: RECEIVED first if nothing was published yet, then
 * the current status if it differs from the last one published (notices make it differ).
 */
export function nextEvents(
  state: ClearanceState,
  notices: StatusReason[],
  published: Published,
  amendmentId?: string,
): NextEvents {
  let { sequence, lastEvent } = published;
  const drafts: StatusDraft[] = [];
  if (!lastEvent) drafts.push({ ...statusEvent(state, ++sequence, []), status: 'RECEIVED' });
  const event = statusEvent(state, 0, notices);
  if (amendmentId) event.amendmentId = amendmentId;
  if (!lastEvent || !sameEvent(event, lastEvent)) {
    event.sequence = ++sequence;
    drafts.push(event);
    lastEvent = event;
  }
  return { drafts, sequence, lastEvent };
}

function sameEvent(a: StatusDraft, b: StatusDraft): boolean {
  return JSON.stringify({ ...a, sequence: 0 }) === JSON.stringify({ ...b, sequence: 0 });
}
